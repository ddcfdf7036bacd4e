"""Domain operations. Each public function is one unit of work: it changes state, writes the audit
event and the outbox rows, and commits once; jobs are enqueued only after that commit."""
