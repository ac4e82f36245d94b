/**
 * @file
 * spead2's <spead2/common_flavour.h>: the flavour of a SPEAD stream.
 * Forwards to lightspead (see docs/migrating-from-spead2.md).
 */
#ifndef LIGHTSPEAD_COMPAT_SPEAD2_COMMON_FLAVOUR_H
#define LIGHTSPEAD_COMPAT_SPEAD2_COMMON_FLAVOUR_H

#include <lightspead/compat/namespace.h>
#include <lightspead/protocol/flavour.h>

#endif  // LIGHTSPEAD_COMPAT_SPEAD2_COMMON_FLAVOUR_H
