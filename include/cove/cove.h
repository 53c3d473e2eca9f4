// Umbrella header of the Cove SDK.
#ifndef COVE_INCLUDE_COVE_COVE_H_
#define COVE_INCLUDE_COVE_COVE_H_

#include "cove/client.h"
#include "cove/connection.h"
#include "cove/control.h"
#include "cove/control_connection.h"
#include "cove/control_types.h"
#include "cove/options.h"
#include "cove/types.h"
#include "cove/value.h"
#include "cove/version.h"

#endif  // COVE_INCLUDE_COVE_COVE_H_
