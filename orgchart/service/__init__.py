"""The directory's rules, between the HTTP views and the stores.

Who may see what (enterprise members see only posts that serve enterprises), who may change
what (only admins import or edit), and the login/token lifecycle. Services open their own
sessions from the session maker, use stores for SQL, and return JSON-ready dicts; they raise
:mod:`orgchart.errors` exceptions and know nothing about HTTP.

    viewer.Viewer                 the authenticated caller and its role
    accounts.AccountService       login, tokens, activation
    directory.DirectoryService    units, departments, posts, holders, people, search, resolve
    enterprises.EnterpriseService enterprises and virtual organisations
    admin.AdminService            imports and edits of the directory
"""
