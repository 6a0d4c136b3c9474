"""`make bench`: load the real simulator over 127.0.0.1 and compare it with a bare Starlette floor."""
