"""dsr benchmarks (issue 7): ``python -m bench`` / ``make bench``.

Every figure is a ratio measured in one run (shared, noisy machines): dsr against a baseline doing
the same work minimally, or dsr at a large size against dsr at a small size. Each benchmark builds
its own data (COPY on PostgreSQL) in its own database and talks to PostgreSQL, Redis and SMTP as in
production. ``tests/test_bench_smoke.py`` runs the same code with tiny sizes so it cannot rot.
"""
