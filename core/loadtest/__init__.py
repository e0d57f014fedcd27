"""`make loadtest`: staff at work on the production server (core/management/commands/loadtest.py).

- `locustfile.py`: the staff, as Locust users (cashiers at the till, managers in the back office)
- `html.py`: reads a form off a page as a browser would send it (standard library only: the
  Locust process imports no Django)
- `shop.py`: the shop they work in (demo data, their logins) and what they know of it
- `verify.py`: what must hold afterwards (every acknowledged sale and payment recorded once, the
  ledger, the errors and the p95 of the requests)
"""
