"""Reports: sales by day / category / consignor, inventory aging, best and worst sellers, each for a
period, as a page, a CSV file and (sales by day) a chart drawn on the server as SVG (issue 5 §8)."""
