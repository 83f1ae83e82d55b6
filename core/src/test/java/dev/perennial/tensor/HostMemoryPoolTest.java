/*
 * The host caching allocator: size classes at most 1/8 above the request, freed blocks served again (a training
 * step of the same shapes allocates no new memory after the first), and zeroed allocations zeroed even when the
 * block was used before.
 */
package dev.perennial.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class HostMemoryPoolTest {
    @Test
    void sizeClassesAreAtMostAnEighthAboveTheRequest() {
        assertEquals(100, HostMemoryPool.sizeClass(100), "small requests are not rounded");
        assertEquals(1 << 20, HostMemoryPool.sizeClass(1 << 20));
        for (long n = HostMemoryPool.MIN_BYTES; n < (1L << 31); n = n * 3 / 2 + 17) {
            long c = HostMemoryPool.sizeClass(n);
            assertTrue(c >= n && c <= n + n / 8, n + " -> " + c);
            assertEquals(c, HostMemoryPool.sizeClass(c), "a class is its own class");
        }
    }

    /** Garbage from earlier tests returned to the pool by the collector mid-test would be served first (LIFO). */
    private static void settle() {
        System.gc();
        org.bytedeco.javacpp.Pointer.deallocateReferences();
    }

    @Test
    void aFreedBlockIsServedAgainAndZeroedWhenAsked() {
        settle();
        int n = 5_000_001;                                         // 20 MB: a size class no other test's garbage has
        Tensor t = Tensor.zeros(n);
        long address = t.storage().address();
        for (int i = 0; i < n; i += 101) t.storage().setFloat(i, 7f);
        t.storage().close();
        long[] before = HostMemoryPool.hitsAndMisses();
        Tensor again = Tensor.zeros(n);
        long[] after = HostMemoryPool.hitsAndMisses();
        assertEquals(before[0] + 1, after[0], "served from the cache");
        assertEquals(address, again.storage().address(), "the same block");
        for (int i = 0; i < n; i += 101) assertEquals(0f, again.storage().getFloat(i));
        again.storage().close();
    }

    @Test
    void aScopeReturnsItsBlocksToThePool() {
        settle();
        long address;
        try (TensorScope scope = TensorScope.open()) {
            address = Tensor.empty(DType.F32, 1537, 2049).storage().address();      // 12.6 MB, an unusual class
        }
        long cached = HostMemoryPool.cachedBytes();
        assertTrue(cached >= 1537 * 2049 * 4, "the block is cached: " + cached);
        Tensor t = Tensor.empty(DType.F32, 1537, 2049);
        assertEquals(address, t.storage().address());
        t.storage().close();
        HostMemoryPool.trim();
        assertEquals(0, HostMemoryPool.cachedBytes());
    }
}
