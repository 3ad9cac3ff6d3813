"""`eno migrate`'s pure step logic (spec migration.md): what each runbook step writes, what it needs first,
and what "done" means as a function of the objects the cluster shows. No I/O here: `eno_cmd.migrate`
reads the cluster into an `Observed` and calls these functions."""
