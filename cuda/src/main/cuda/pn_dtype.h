/*
 * pn_dtype.h — element-type codes shared by the C ABIs of the element-wise, norm and embedding launchers
 * (strided.h, norms.h, embedding.h). A floating operand is passed as an untyped device pointer plus one of
 * these codes, so F16/BF16 weights are widened while they are read instead of being converted on the host.
 * The values are part of the ABI: the Java side (DeviceKernels) passes them as plain ints.
 */
#ifndef PN_DTYPE_H
#define PN_DTYPE_H

#define PN_DTYPE_F32 0  /* IEEE binary32 */
#define PN_DTYPE_F16 1  /* IEEE binary16, widened exactly */
#define PN_DTYPE_BF16 2 /* bfloat16: the upper 16 bits of a binary32 */
#define PN_DTYPE_I32 3  /* int32 (ids) */
#define PN_DTYPE_I64 4  /* int64 (ids) */

#endif
