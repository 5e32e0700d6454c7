"""The benchmark (`make bench`): a national dataset generator, a load run under gunicorn, the results."""
