/**
 * What a postgres source reads. Every row is ordered with COLLATE "C" and every value is text or a
 * plain scalar, so an unchanged server gives byte-identical files. Volatile and host-specific
 * values are left out: settings a client or session set, file paths, anything per connection.
 */

/** Non-default settings from configuration files, the command line, ALTER SYSTEM, ALTER DATABASE/ROLE … SET. */
export const SETTINGS_SQL = `
select name, setting, unit, source
from pg_settings
where source in ('configuration file', 'command line', 'environment variable', 'global', 'database', 'user', 'database user')
  and name not in ('data_directory', 'config_file', 'hba_file', 'ident_file', 'external_pid_file')
order by name collate "C"`;

export const ROLES_SQL = `
select r.rolname as name, r.rolsuper as superuser, r.rolinherit as inherit, r.rolcreaterole as "createRole",
  r.rolcreatedb as "createDb", r.rolcanlogin as login, r.rolreplication as replication, r.rolbypassrls as "bypassRls",
  r.rolconnlimit as "connectionLimit", (r.rolvaliduntil at time zone 'UTC')::text as "validUntil",
  coalesce(r.rolconfig, '{}') as config
from pg_roles r
where r.rolname !~ '^pg_'
order by r.rolname collate "C"`;

export const MEMBERSHIPS_SQL = `
select r.rolname as role, m.rolname as member, a.admin_option as admin
from pg_auth_members a
join pg_roles r on r.oid = a.roleid
join pg_roles m on m.oid = a.member
where m.rolname !~ '^pg_'
order by r.rolname collate "C", m.rolname collate "C"`;

const GRANTEE = `coalesce(g.rolname, 'PUBLIC') as grantee, coalesce(o.rolname, '') as grantor,
  a.privilege_type as privilege, a.is_grantable as grantable`;
const GRANT_JOINS = `left join pg_roles g on g.oid = a.grantee left join pg_roles o on o.oid = a.grantor`;
// Expressions, not output names: in ORDER BY an expression's names are the input columns (a.grantee is an oid).
const GRANT_ORDER = `coalesce(g.rolname, 'PUBLIC') collate "C", a.privilege_type collate "C", coalesce(o.rolname, '') collate "C"`;
const USER_SCHEMA = `n.nspname !~ '^pg_' and n.nspname <> 'information_schema'`;

/** Grants on the connected database (other databases of the server come and go with their own sources). */
export const DATABASE_GRANTS_SQL = `
select d.datname as database, ${GRANTEE}
from pg_database d cross join lateral aclexplode(d.datacl) a ${GRANT_JOINS}
where d.datname = current_database()
order by ${GRANT_ORDER}`;

export const SCHEMA_GRANTS_SQL = `
select n.nspname as schema, ${GRANTEE}
from pg_namespace n cross join lateral aclexplode(n.nspacl) a ${GRANT_JOINS}
where ${USER_SCHEMA}
order by n.nspname collate "C", ${GRANT_ORDER}`;

export const TABLE_GRANTS_SQL = `
select n.nspname as schema, c.relname as "table", ${GRANTEE}
from pg_class c join pg_namespace n on n.oid = c.relnamespace
cross join lateral aclexplode(c.relacl) a ${GRANT_JOINS}
where c.relkind in ('r', 'v', 'm', 'p', 'f', 'S') and ${USER_SCHEMA}
order by n.nspname collate "C", c.relname collate "C", ${GRANT_ORDER}`;

export const EXTENSIONS_SQL = `
select e.extname as name, e.extversion as version, n.nspname as schema
from pg_extension e join pg_namespace n on n.oid = e.extnamespace
order by e.extname collate "C"`;
