"""The reference DCC's SQLite store, by concern: :mod:`.records` (tables, records), :mod:`.smi` (the DCC's
view: SMI, SMKI repository, coverage), :mod:`.simulated` (the devices' own state and faults), :mod:`.journal`
(counters, journal, outbox, local and pre-commands) and :mod:`.loading` (validated entries, seeding, files).
:class:`pytest_dcc.reference.inventory.Inventory` puts them behind one API."""
