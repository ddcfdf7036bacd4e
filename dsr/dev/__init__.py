"""Development and test tooling: never imported by the production app.

* :mod:`dsr.dev.launcher`: ``python -m dsr.dev.launcher`` (``make run``), the whole demo on one laptop.
* :mod:`dsr.dev.local_services`: throwaway Redis, free ports, ``create-db`` for the test databases.
* :mod:`dsr.dev.local_mail`: the throwaway SMTP sink of the demo and the tests.
* :mod:`dsr.dev.demo`: the demo data (``flask --app wsgi dsr seed-demo``, ``demo-totp``).

The application (``create_app``, ``wsgi``, jobs, views, services, workflows, models) must work without
this package; ``tests/test_dev_package.py`` checks that none of it imports ``dsr.dev``. The one
exception is :mod:`dsr.cli`'s demo commands, which import :mod:`dsr.dev.demo` inside the command, so
only running them loads it.
"""
