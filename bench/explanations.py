"""Why a goal can be missed: written into results.md under "Goals not met" for each missed figure.

These are findings from profiling this code (the numbers behind them are in each figure's line);
they name what would close the gap and where that change belongs.
"""

EXPLANATIONS: dict[str, str] = {
    "Intake throughput": (
        "Issue 16 took out of the request what the worker can do: the staff notices (announced by the "
        "worker, or in a digest), one Redis round trip for all of a transaction's jobs, the school list kept "
        "per process, and the audit chain's lock held only for the insert and the commit. Per submission "
        "that took dsr from 14 SQL statements and 26 Redis commands to 8 and 12, and the ratio from 0.32 to "
        "0.48. What is left is the work of a real form and a real intake, and with both apps CPU-bound on "
        "the same two cores, throughput follows CPU per submission (the figure's line: 13.6 ms against 6.6 "
        "ms).\n\nA CPU profile on this machine (in-process on PostgreSQL, 100 submissions after 10 to warm "
        "up, 4 December 2026) splits dsr's submission as follows. About a third is rendering the public form "
        "on GET: the page is built from the form macro per field (label, help, error, the rule ids kept out "
        "of the text), where the baseline returns a bare form. The rest is the POST: storing the receipt "
        "(render the text and HTML parts, seal its link, insert) about 11 %, inserting the case and setting "
        "its reference 8 %, loading the school 6 %, the commit 16 % (the audit append in it 5 %), and "
        "the one Redis pipeline after it 3 %; form validation and the redirect are most of the "
        "remainder. None of these is a leftover that the worker could do: the receipt must be in the same "
        "transaction as the case and its audit event. What would close the gap: a lighter public form page "
        "(render the static parts of the page once per language and process, and the fields without the "
        "general form macro), and storing the receipt's context instead of its rendered text (the worker "
        "renders it at send time), which changes what the outbox row holds and so needs its own review of "
        "the at-rest rules. Measure with `python -m bench --only intake`."
    ),
    "Mail throughput": (
        "Issue 16 moved mail to its own queue and a worker that does not fork "
        "(`dsr.notifications.worker.MailWorker`, an RQ `SimpleWorker`, as the Procfile starts it), which "
        "keeps one SMTP connection open while jobs keep coming: in this run it sent 78.6 mails/s against "
        "16.2 for the forking worker that sent mail before, and the ratio rose from 0.08 to 0.34. The plain "
        "loop only talks SMTP, with messages built before its clock starts. Per mail the worker still runs "
        "one RQ job (about a dozen Redis round trips on RQ's registries and heartbeats), claims the outbox "
        "row and commits, reads it, builds the MIME message, holds an SMTP conversation (four replies), "
        "marks the row sent and commits. On a machine whose two cores are shared with PostgreSQL, Redis and "
        "the SMTP server, each round trip waits for another process to be scheduled, and that waiting, not "
        "the worker's own CPU, is most of a mail's time.\n\nMail no longer limits the whole system: in the "
        "whole-system scenario the mail backlog stayed at most 6 rows at 45 submissions/s and drained within "
        "a second, so the figure above is about headroom. Going to 0.5 means fewer round trips per mail: a "
        "job that claims a batch of due rows in one UPDATE, sends them over one connection and marks them "
        "sent in one commit. That trades away the accounting of one job per mail (jobs per mail, exactly "
        "1.00, is one of the issue's goals, and the re-drive's check that a row's job still waits rests on "
        "it), so it is a design decision for a later issue, not a tuning."
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
