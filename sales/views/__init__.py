"""Views of the sales app, one module per area: the till, products, sales, printed documents."""
