"""A module that takes a while to import (for tests/test_startup.py): a thread that read it half-way
through its import would find ``ANSWER`` but not ``words``."""

import time

ANSWER = 42
time.sleep(0.2)


def words():
    return ["one", "two", "three"]
