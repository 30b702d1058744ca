"""Pages of the org tree, teams, filing, yearly reports and accounts.

Views stay thin: they find objects through the user's data scope (`restrict`), call a service for every change,
and show a service's DomainError beside the field it names. Out of scope: 404 (existence is not revealed);
visible but not allowed: 403.
"""

from .accounts import (
    account_create,
    account_detail,
    account_list,
    account_password_reset,
    account_set_active,
    role_revoke,
)
from .reports import annual_report, annual_report_confirm, annual_report_return, reporting_list, reporting_year_detail
from .teams import (
    filing_queue,
    team_create,
    team_detail,
    team_edit,
    team_file,
    team_list,
    team_merge,
    team_print,
    team_return,
    team_submit,
)
from .tree import (
    node_create,
    node_delete,
    node_detail,
    node_dissolve,
    node_edit,
    node_move,
    node_options,
    tree,
    tree_children,
)

__all__ = [
    "account_create",
    "account_detail",
    "account_list",
    "account_password_reset",
    "account_set_active",
    "annual_report",
    "annual_report_confirm",
    "annual_report_return",
    "filing_queue",
    "node_create",
    "node_delete",
    "node_detail",
    "node_dissolve",
    "node_edit",
    "node_move",
    "node_options",
    "reporting_list",
    "reporting_year_detail",
    "role_revoke",
    "team_create",
    "team_detail",
    "team_edit",
    "team_file",
    "team_list",
    "team_merge",
    "team_print",
    "team_return",
    "team_submit",
    "tree",
    "tree_children",
]
