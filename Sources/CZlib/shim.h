// zlib, for its CRC-32 (already linked through AsyncHTTPClient's HTTP compression; Debian: zlib1g-dev, which the Swift
// toolchain requires).
#include <zlib.h>
