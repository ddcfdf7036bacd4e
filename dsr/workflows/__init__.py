"""Pure, tested legal and workflow rules: the state machine, the legal calendar, the rights policy.

Nothing in this package touches the database, the queue or the mail server; services call in.
"""
