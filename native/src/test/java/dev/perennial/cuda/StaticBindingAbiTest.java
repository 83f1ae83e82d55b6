/*
 * StaticBindingAbi: the emulated binding implements every KernelAbi method, launcher names follow the fooBar ->
 * pn_foo_bar rule, and a binding that lacks launchers is refused at creation with their names.
 */
package dev.perennial.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StaticBindingAbiTest {
    @Test
    void emulatedBindingIsComplete() {
        KernelAbi abi = StaticBindingAbi.of(EmuKernels.class, () -> "msg");
        assertEquals("msg", abi.lastMessage());
        assertEquals(1, abi.softmaxRows(null, null, null, -1, 1, 0, 1f, null), "bad sizes reach the launcher");
    }

    @Test
    void namesFollowTheRule() {
        assertEquals("pn_softmax_rows", StaticBindingAbi.launcherName("softmaxRows"));
        assertEquals("pn_rms_norm_backward", StaticBindingAbi.launcherName("rmsNormBackward"));
    }

    @Test
    void incompleteBindingIsRefusedWithTheMissingNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StaticBindingAbi.of(String.class, () -> ""));
        assertTrue(e.getMessage().contains("pn_softmax_rows"), e.getMessage());
    }
}
