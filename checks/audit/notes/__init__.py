"""The audit's entry modules: one per section (or group of small sections) of
each notes file, named ``n<file>_<section>_<topic>``. Each fills its own
``ENTRIES`` (see :func:`checks.audit.model.collector`);
:func:`checks.audit.all_entries` collects them in the order of
:data:`checks.audit.MODULES`, which is the order of the notes."""
