"""The reference DCC's Service Requests, one module per family, each naming the clause IDs it implements
(``CLAUSES``) so that ``grep <clause ID>`` finds the feature, the steps and the code.

Device Service Requests (:mod:`.devices` dispatches them): :mod:`.join` (8.7, 8.8), :mod:`.credentials` (6.15.1,
6.21, 6.23, 6.24.2), :mod:`.tariff` (1.1.1) and :mod:`.generic` (every other simulated SRV); each has its
``validate`` (the DSP, before the command goes out), ``execute`` (the simulated device, its own state only) and
``apply`` (the DSP processing the device's response, the SMI only) in one place.

Non-device Service Requests (:mod:`.catalogue` dispatches them): :mod:`.inventory` (8.2, 8.4, 12.2),
:mod:`.local_command` (8.13), :mod:`.ch_status` (8.14.x), :mod:`.coverage` (12.1); each has ``handle``.
"""
