#include "ctl.h"

/* Commands reach the database only through here; the foictl main opens
 * c->st from the configuration and extends this when it does. */
struct store *ctl_store(struct ctl *c)
{
	return c->st;
}
