"""The console's roles, weakest first: each may do what the ones before it may. (A module of its own so the
command line can offer them without loading the user store.)"""

ROLES = ("editor", "approver", "admin")
