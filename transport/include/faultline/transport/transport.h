// Everything a user of the transport needs, in one include.
#pragma once

#include "faultline/transport/client.h"
#include "faultline/transport/errors.h"
#include "faultline/transport/http.h"
#include "faultline/transport/multipart.h"
#include "faultline/transport/options.h"
#include "faultline/transport/request.h"
#include "faultline/transport/response.h"
#include "faultline/transport/stats.h"
