"""Why a goal can be missed: written into results.md under "Goals not met" for each missed figure.

These are findings from profiling this code (the numbers behind them are in each figure's line);
they name what would close the gap and where that change belongs.
"""

EXPLANATIONS: dict[str, str] = {
    "Intake throughput": (
        "The baseline inserts one row. A dsr submission does what the product needs on top of that, "
        "inside the request: it checks the school against the database (the form loads the school list "
        "on GET and on POST), inserts the case and then sets its reference, appends an audit event "
        "under the chain's advisory lock (lock, read the previous hash, insert), renders three mails "
        "(the receipt and one per staff member of the school, each a text and an HTML part) and stores "
        "each in the outbox with its own flush, looks up the staff with a second query for their "
        "schools, and after the commit enqueues one RQ job per mail, each in its own Redis "
        "transaction. The figure's line shows the result: several times the SQL statements, tens of "
        "Redis commands against none, and a multiple of the worker CPU per submission. With both apps "
        "CPU-bound on the same two cores, throughput follows CPU per submission.\n\n"
        "A CPU profile on this machine (in-process, 40 submissions): the GET costs dsr about 11 ms "
        "against the baseline's 8 ms, the POST about 30 ms against 5 ms. Of dsr's POST, storing the "
        "three mails takes 23 % (rendering 11 %, one INSERT and flush each), enqueueing their jobs "
        "after the commit 17 % (three Redis transactions), the audit append 12 %, finding the "
        "school's staff 12 % (two queries), and the form's school queries 14 %. What would close the "
        "gap is outside this change's scope (dsr/notifications/, dsr/forms/, dsr/jobs.py): enqueue "
        "the jobs of a transaction in one Redis pipeline; flush the outbox rows of a transaction "
        "together; render staff-only notifications in the worker instead of the request; load the "
        "active schools for the form once per process for a short time. None of these changes what a "
        "requester gets; each is measurable with `python -m bench --only intake`."
    ),
    "Mail throughput": (
        "The plain loop only talks SMTP, with messages built before its clock starts. The mail worker "
        "(`dsr.notifications.worker.MailWorker`, an RQ `SimpleWorker` on the mail queue, as the Procfile "
        "starts it) runs one job per mail in its own process and keeps one SMTP connection open while "
        "jobs keep coming; per mail it still claims the outbox row and commits, reads it, builds the "
        "MIME message, holds an SMTP conversation (four replies), marks the row sent and commits, and RQ "
        "spends about a dozen Redis round trips per job on its registries and heartbeats. On a machine "
        "whose two cores are shared with PostgreSQL, Redis and the SMTP server, each of those round "
        "trips waits for another process to be scheduled, and that waiting, not the worker's own CPU, "
        "is most of a mail's time. The 'forking worker' line is the general worker that sent mail "
        "before issue 16 (a work horse and an SMTP connection per mail).\n\n"
        "Going further means fewer round trips per mail: a job that claims and sends a batch of due rows "
        "(one UPDATE claiming many rows, one commit marking them sent) instead of one job per row, which "
        "issue 16 ruled out to keep exactly one job per mail; or fewer RQ round trips per job."
    ),
    "Memory, web worker": (
        "A web worker that has served no sign-in stays around 100 MB. A worker that verified a staff "
        "password peaks about 64 MB higher: Argon2id with memory_cost 64 MiB (argon2-cffi's RFC 9106 "
        "parameters, the security choice in dsr/services/people.py) allocates that block for every "
        "password check; the block is returned afterwards, so the resident size falls back, but the "
        "peak (VmHWM) keeps it. Lowering the peak means a smaller memory cost (OWASP's floor is 19 MiB "
        "with t=2), which is a security decision (docs/security.md), not a performance fix; plan memory "
        "as (2 x cores) x 170 MB per web host instead."
    ),
    "Memory, RQ worker": (
        "The worker's parent builds the whole app before forking (so each job does not); its work "
        "horses share those pages copy-on-write. See the peak per process in the figure's line."
    ),
    "Audit verify": (
        "verify_chain reads the chain in id order in batches (keyset on id) and recomputes each hash; "
        "the cost per event should not depend on the length of the chain. A miss means the large run "
        "was disturbed (see the load average) or the database served the large table from disk."
    ),
    "Audited writes, 4 parallel writers": (
        "Writers on different schools share no lock any more (one audit chain per school, each locked only "
        "for its insert and commit), so what bounds the ratio is the machine: each write costs CPU in its "
        "writer (the detail gives the CPU per write) and in PostgreSQL, and on a host with two cores shared "
        "with the database (and, during a full run, with nothing else) four CPU-bound writers cannot do much "
        "more than twice the work of one, whatever the locking. The one-school figure next to it is the "
        "serial point that remains: one chain's lock, held from the lock statement to the commit (the "
        "database's flush of its log to disk). What would show the design's figure: a host with at least "
        "as many cores as writers plus the database's, or a request that spends most of its time waiting "
        "rather than computing. Measure with `python -m bench --only audit`."
    ),
    "Deadline sweep": (
        "The sweep asks the database only for open cases with a milestone reached and not yet "
        "recorded. It still ranges over the open cases whose deadline is within the reminder window "
        "(and checks their notices), so a database with many open cases due soon costs more; the rest "
        "is per notified case (recording, mails) and the same at both sizes."
    ),
    "Staff queue, first page": (
        "The page reads 26 entries of a partial index on open cases and counts the open cases of the "
        "school per state from an index; see the plans below. A miss means noise on the machine "
        "(compare the p50s) or a plan that does not use the partial index."
    ),
    "Staff queue, deep page": (
        "As for the first page: the keyset cursor starts the index range at (due_on, id)."
    ),
    "Queue search, requester's e-mail address": (
        "A trigram index finds a text by the rows that hold every trigram of it. A whole e-mail address "
        "consists mostly of trigrams that nearly every row holds: in the benchmark every address is "
        "`ouder.<surname><id>@example.nl` (in a school's real data, a few providers such as gmail.com, "
        "hotmail.com and ziggo.nl do the same). PostgreSQL then walks the index's posting lists of those "
        "frequent trigrams (about 4,000 index pages at 1,000,000 cases against a few dozen for a name; see the "
        "plan below) before the rare trigrams of the surname and number narrow it down to one case. The "
        "other searches, whose trigrams are rarer, stay flat. The page still answers in about 0.1 s at "
        "1,000,000 cases (p95). What would close the gap: treat a word that is a whole address (it holds "
        "an @ and a domain) as an exact match on `lower(requester_email)` with a B-tree index on that "
        "expression, and keep the trigram search for parts of addresses; or leave the domain out of the "
        "trigram index. Either is a change to dsr/services/queue.py and the migration, measurable with "
        "`python -m bench --only queue`."
    ),
    # --- the whole system (bench/system.py) ---
    "Whole system, sustained intake with mail delivered": (
        "The baseline sends its one mail inside the request, so it sustains whatever its web workers "
        "manage. dsr answers the parent at once, but every submission leaves mails (a receipt and a notice "
        "to each staff member, or a digest) for the RQ worker, and a rate counts as sustained only if that "
        "mail keeps pace. The CPU line shows where the time goes: the worker's share per submission (a "
        "forked work horse, a new database connection, two commits and a new SMTP connection per mail) "
        "is several times the web's, so the mail worker, not the web, sets the sustained rate. Cheaper "
        "mail (a non-forking worker on its own queue, one SMTP connection per batch) and fewer mails per "
        "submission (the staff digest) are what raise it; `python -m bench --only system` measures it."
    ),
    "Mail backlog drained after load": (
        "The burst offers half the baseline's sustained rate, the rate the throughput goal asks for. "
        "Whatever the worker cannot send while the load lasts waits in the outbox; it drains at the "
        "worker's mail rate, so the drain time is the backlog at the end of the load divided by that "
        "rate. The same changes as for the throughput figure shorten it; so does a second mail worker."
    ),
    "Jobs per mail": (
        "More jobs than mails means the re-drive queued a second job for a mail whose first job was "
        "still waiting (the normal path and the re-drive use different job ids), so the worker also ran "
        "jobs for mails already sent. One job id per outbox row, checked by the re-drive, brings it to "
        "1.00; fewer means mails were sent by a job that sends several (or were counted in a log the "
        "benchmark could not read: see the rq counters in the figure's line)."
    ),
}
