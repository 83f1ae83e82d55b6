/* Scopes free their temporaries, keep() moves tensors to the enclosing scope or to the GC, close() is final. */
package dev.perennial.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class TensorScopeTest {
    private static boolean freed(Tensor t) {
        return t.storage().ownedPointer().isNull();
    }

    @Test
    void temporariesAreFreedKeptOnesSurvive() {
        Tensor kept, temp;
        try (TensorScope scope = TensorScope.open()) {
            temp = Tensor.zeros(1000);
            kept = scope.keep(Tensor.of(new float[]{1, 2, 3}, 3));
        }
        assertTrue(freed(temp));
        assertFalse(freed(kept));
        assertArrayEquals(new float[]{1, 2, 3}, kept.toFloatArray());
    }

    @Test
    void keptTensorsMoveToTheEnclosingScope() {
        Tensor inner, outerTemp;
        try (TensorScope outer = TensorScope.open()) {
            outerTemp = Tensor.zeros(10);
            try (TensorScope scope = TensorScope.open()) {
                inner = scope.keep(Tensor.zeros(10));
            }
            assertFalse(freed(inner));
        }
        assertTrue(freed(inner), "freed with the enclosing scope");
        assertTrue(freed(outerTemp));
    }

    @Test
    void explicitCloseInsideAScopeIsSafe() {
        try (TensorScope scope = TensorScope.open()) {
            Tensor t = Tensor.zeros(100);
            t.close();
            assertTrue(freed(t));
            Tensor k = scope.keep(Tensor.zeros(5));
            k.close();
            assertTrue(freed(k));
        }
    }

    @Test
    void mappedAndForeignStoragesAreIgnored() {
        java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(8);
        Tensor mapped = Tensor.of(Storage.wrap(DType.F32, 2, direct), 2);
        try (TensorScope scope = TensorScope.open()) {
            assertSame(mapped, scope.keep(mapped));
        }
        assertEquals(0f, mapped.getFloat(1));
    }
}
