/* Schema migrations, applied in order by store_open.  Entry N upgrades a
 * database at user_version N to N+1.  Never edit a released entry: add one. */
#ifndef FOID_STORE_SCHEMA_H
#define FOID_STORE_SCHEMA_H

extern const char *const store_migrations[];
extern const int store_migration_count;

#endif
