"""Opt-in, local, non-diagnostic listening insights (docs/architecture.md §10).

Nothing here runs unless the account's owner has given consent (``consent.py``); withdrawing consent
deletes everything this package stored. Indicators describe listening, compared with the listener's
own usual; they are not a diagnosis and nothing in the app changes because of them unless the user
moves a control themselves.
"""
