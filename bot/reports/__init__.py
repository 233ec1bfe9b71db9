"""Reading radiology reports and comparing two of them, finding by finding (pure: no I/O).

`findings.read_report` splits a report into its sections (`sections.py`) and reads its findings
(what, where, how big, present / absent / uncertain, how it changed; `vocabulary.py`,
`context.py`, `measures.py`), its standard categories (BI-RADS, LI-RADS, Lung-RADS, PI-RADS,
TI-RADS, O-RADS) and its recommendations (`recommendations.py`). `compare.compare` matches the
findings of two reports and lists what differs. Nothing here says which report is right or what
a finding means for the patient.
"""
