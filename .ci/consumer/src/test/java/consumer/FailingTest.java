/* Must fail: proves the consumer's JUnit 4 tests really run with perennial-core on the classpath. */
package consumer;

import dev.perennial.tensor.Tensor;
import org.junit.Test;

import static org.junit.Assert.assertEquals;

public class FailingTest {
    @Test
    public void failsOnPurpose() {
        assertEquals(2, Tensor.of(new float[]{1, 2, 3}, 3).numel());
    }
}
