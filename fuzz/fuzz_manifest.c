/* fuzz_manifest.c - libFuzzer entry point for the gateway's manifest
 * parser (faas/gateway/manifest.c): any bytes give a manifest or an error,
 * and an accepted manifest's canonical JSON parses back to the same. */
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gw_manifest m, m2;
    char err[300];
    if (!gw_manifest_parse((const char *)data, size, &m, err, sizeof err)) return 0;
    char *json = gw_manifest_json(&m);
    if (!json) abort();
    if (!gw_manifest_parse(json, strlen(json), &m2, err, sizeof err)) abort();
    char *json2 = gw_manifest_json(&m2);
    if (!json2 || strcmp(json, json2)) abort();
    free(json);
    free(json2);
    gw_manifest_free(&m);
    gw_manifest_free(&m2);
    return 0;
}
