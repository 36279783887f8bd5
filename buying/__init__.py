"""Buying from people (issue 13): the shop buys goods from walk-in sellers as its own stock."""
