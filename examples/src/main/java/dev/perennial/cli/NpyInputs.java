/*
 * The model inputs the forward/generate commands read from .npy files, in the shapes the Python reference
 * uses: input ids [B, T] or [T] (int64/int32, image markers included, either the config's image token or
 * -200), optional attention mask [B, T] (0 = padding, dropped before image splicing), labels [B, T], and pixel
 * values [N, 3, S, S] for the image markers in order.
 */
package dev.perennial.cli;

import dev.perennial.io.Npy;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

final class NpyInputs {
    private NpyInputs() {}

    /** Rows of an integer .npy of shape [B, T] or [T], keeping only positions where mask (if given) is non-zero. */
    static List<long[]> rows(Path file, Path maskFile) throws IOException {
        Tensor t = Npy.read(file);
        if (t.dtype().isFloating() || t.rank() < 1 || t.rank() > 2) {
            throw new IllegalArgumentException(file + ": expected integer ids of shape [B, T] or [T], got " + t);
        }
        Tensor ids = t.rank() == 1 ? t.unsqueeze(0) : t;
        Tensor mask = null;
        if (maskFile != null) {
            mask = Npy.read(maskFile);
            if (mask.rank() == 1) mask = mask.unsqueeze(0);
            if (!Arrays.equals(mask.shape(), ids.shape())) {
                throw new IllegalArgumentException(maskFile + ": mask shape " + Arrays.toString(mask.shape())
                        + " differs from ids " + Arrays.toString(ids.shape()));
            }
        }
        List<long[]> rows = new ArrayList<>();
        for (int b = 0; b < ids.size(0); b++) {
            long[] row = ids.select(0, b).toLongArray();
            if (mask != null) {
                long[] m = mask.select(0, b).toLongArray();
                int n = 0;
                for (int i = 0; i < row.length; i++) if (m[i] != 0) row[n++] = row[i];
                row = Arrays.copyOf(row, n);
            }
            rows.add(row);
        }
        return rows;
    }

    /** Pixel values [N, 3, S, S] (float32), or null when no file is given. */
    static Tensor pixels(Path file) throws IOException {
        if (file == null) return null;
        Tensor p = Npy.read(file);
        if (!p.dtype().isFloating() || p.rank() != 4) {
            throw new IllegalArgumentException(file + ": expected float pixel values [N, 3, S, S], got " + p);
        }
        return p;
    }
}
