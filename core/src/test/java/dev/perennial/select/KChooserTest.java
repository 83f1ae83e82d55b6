/*
 * KChooser (docs/methods/adapt-inf.md §3, optional K choice): the silhouette and elbow helpers on hand-computed cases, and
 * both choices finding the true K of well-separated blobs, with the full table returned.
 */
package dev.perennial.select;

import dev.perennial.cluster.InMemoryVectors;
import dev.perennial.cluster.KMeans;
import dev.perennial.cluster.KMeansTest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KChooserTest {

    /** 1-D points 0, 1, 10, 11 in clusters {0,1}, {10,11}: s = 9.5/10.5, 8.5/9.5, 8.5/9.5, 9.5/10.5. */
    @Test
    void silhouetteOfAHandComputedCase() {
        float[] p = {0, 1, 10, 11};
        float[] dist = new float[16];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) dist[i * 4 + j] = Math.abs(p[i] - p[j]);
        double expected = (9.5 / 10.5 + 8.5 / 9.5) / 2;
        assertEquals(expected, KChooser.silhouette(dist, new int[]{0, 0, 1, 1}, 2), 1e-12);
        assertTrue(Double.isNaN(KChooser.silhouette(dist, new int[]{1, 1, 1, 1}, 2)));
        // {0}, {1, 10, 11}: point 0 is alone in its cluster and counts 0
        double a1 = (9 + 10) / 2.0, b1 = 1, sp1 = (b1 - a1) / Math.max(a1, b1);
        double a2 = (9 + 1) / 2.0, b2 = 10, sp2 = (b2 - a2) / Math.max(a2, b2);
        double a3 = (10 + 1) / 2.0, b3 = 11, sp3 = (b3 - a3) / Math.max(a3, b3);
        assertEquals((0 + sp1 + sp2 + sp3) / 4, KChooser.silhouette(dist, new int[]{0, 1, 1, 1}, 2), 1e-12);
    }

    /** WSS 100, 50, 10, 8, 7, 6 for K = 2..7: farthest below the chord is K = 4. */
    @Test
    void elbowIsTheDeepestPointBelowTheChord() {
        double[] wss = {100, 50, 10, 8, 7, 6};
        List<KChooser.Row> table = new java.util.ArrayList<>();
        for (int i = 0; i < wss.length; i++) table.add(new KChooser.Row(i + 2, wss[i], 0, Double.NaN));
        assertEquals(4, KChooser.elbow(table));
        List<KChooser.Row> straight = List.of(new KChooser.Row(2, 30, 0, 0), new KChooser.Row(3, 20, 0, 0), new KChooser.Row(4, 10, 0, 0));
        assertEquals(2, KChooser.elbow(straight));                          // no point below the chord
    }

    @Test
    void bothChoicesFindTheBlobs() {
        float[][] x = KMeansTest.blobs(240, 4, 16, 0.08, 21);
        KMeans.Config config = KMeans.Config.of(2).withVariant(KMeans.Variant.LLOYD).withSeed(7);
        KChooser.Choice choice = KChooser.choose(new InMemoryVectors(x), config, 2, 7, 120);
        assertEquals(6, choice.table().size());
        for (int i = 0; i < 6; i++) assertEquals(i + 2, choice.table().get(i).clusters());
        assertEquals(4, choice.bySilhouette());
        assertEquals(4, choice.byElbow());
        KChooser.Row four = choice.table().get(2);
        // centres ≈ √2 apart, members ≈ 0.08·√(2·16) ≈ 0.45 apart: s ≈ 1 − 0.45/1.41 ≈ 0.68
        assertTrue(four.silhouette() > 0.5, "silhouette " + four.silhouette());
        assertTrue(four.sumOfDistances() >= Math.sqrt(four.wss()));
        assertThrows(IllegalArgumentException.class, () -> KChooser.choose(new InMemoryVectors(x), config, 1, 3, 50));
        assertThrows(IllegalArgumentException.class, () -> KChooser.choose(new InMemoryVectors(x), config, 3, 2, 50));
        assertThrows(IllegalArgumentException.class, () -> KChooser.choose(new InMemoryVectors(x), config, 2, 241, 50));
    }
}
