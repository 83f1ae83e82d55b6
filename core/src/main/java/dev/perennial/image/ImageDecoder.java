/*
 * Decodes an image file (JPEG, PNG; GIF and BMP come along with javax.imageio, its TIFF and WBMP readers are not used;
 * BMPs with an embedded JPEG or PNG are refused, as by PIL) into an RgbImage the way LLaVA
 * and transformers' CLIPImageProcessor see it: `PIL.Image.open(f).convert("RGB")` (docs/methods/llava-numerics.md,
 * "Real LLaVA-1.5 preprocessing", step 1). The PIL rules, checked against Pillow by the goldens in
 * core/src/test/resources/golden/pillow:
 *   grey (L)               replicated to R = G = B
 *   alpha (LA, RGBA, PA)   dropped, not composited over any background
 *   palette (P, GIF)       expanded through the palette; a transparent index keeps its palette colour
 *   1/2/4-bit grey PNG     scaled to 0..255 (0, 85, 170, 255 for 2 bits)
 *   16-bit RGB / RGBA / LA high byte (PIL unpacks "RGB;16B" etc. by taking the most significant byte)
 *   16-bit grey            clipped to 255, not scaled: PIL opens it as mode I (32-bit) and I -> RGB clips,
 *                          also when a tRNS chunk makes javax.imageio add an alpha band (the PNG header decides)
 *   Adobe CMYK JPEG        PIL's naive CMYK -> RGB: r = (255 - k) - (c * (255 - k)) / 255, rounded like PIL
 * Pixel values are read from the decoded raster, never through ColorModel.getRGB(), so no colour management
 * happens: an embedded ICC profile, a PNG gAMA chunk and the linear-grey colour space Java assigns to grey
 * images are all ignored, as in PIL. EXIF orientation is not applied either: neither Image.open() nor LLaVA
 * calls ImageOps.exif_transpose, so a photo stored sideways is fed to the model sideways.
 *
 * javax.imageio is enough here: its JPEG decoder derives from IJG libjpeg like PIL's libjpeg-turbo (measured
 * differences are at most 1 level per sample, see ImageDecoderTest), and on JDK 17 it also reads Adobe CMYK JPEGs.
 * A library such as TwelveMonkeys would add YCCK JPEGs, but converts CMYK through ICC profiles, which is not
 * what PIL does, so it would not make those files match LLaVA either. YCCK and 4-channel JPEGs without an
 * Adobe marker are therefore refused as UNSUPPORTED rather than guessed.
 *
 * Every failure is an ImageDecodeException naming the file and the reason. Decoder warnings (javax.imageio
 * reports a truncated JPEG as a warning and fills the rest with grey) are failures too, like PIL's
 * "image file is truncated". Images above PIL's decompression-bomb limit (2 * 89,478,485 pixels) are refused
 * before any pixel is decoded, and so are images whose header claims more pixels than the file can encode
 * (MAX_PIXELS_PER_BYTE): a 330-byte JPEG whose header claims 10000 x 10000 grey pixels made javax.imageio allocate
 * a 100 MB raster before it found the data missing (the fuzz tests' allocation check, docs/reliability.md, "Fuzzing
 * the file parsers"). The bound is PNG's (1-bit samples, deflate's best ratio of 1032:1); baseline and progressive JPEG need
 * at least one bit per 8 x 8 block and GIF's LZW one 12-bit code per 4096 pixels, so no complete file of those
 * exceeds it. Only a BMP whose RLE escapes leave most pixels undefined could, and is refused.
 */
package dev.perennial.image;

import dev.perennial.image.ImageDecodeException.Reason;
import org.w3c.dom.Node;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Decodes an image file (JPEG, PNG, GIF, BMP) into an 8-bit RGB {@code RgbImage} exactly as PIL's
 * {@code Image.open(f).convert("RGB")} does (no colour management, no EXIF rotation). Every failure is an
 * {@code ImageDecodeException} naming the file and a reason; images above 178,956,970 pixels are refused.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state; each call uses
 * its own javax.imageio reader).
 */
public final class ImageDecoder {
    /** PIL's Image.MAX_IMAGE_PIXELS; above twice this PIL raises DecompressionBombError. */
    static final long PIL_MAX_IMAGE_PIXELS = 1024L * 1024 * 1024 / 4 / 3;
    /** Most pixels one byte of an image file can encode (PNG: 8 one-bit samples, deflated 1032:1); see the class comment. */
    public static final long MAX_PIXELS_PER_BYTE = 8 * 1032;

    /** The formats read (javax.imageio format names): those of the class comment. */
    private static final Set<String> FORMATS = Set.of("jpeg", "png", "gif", "bmp");

    private ImageDecoder() {}

    /**
     * Refuses a BMP whose compression is BI_JPEG (4) or BI_PNG (5), an embedded JPEG or PNG, as PIL does ("Unsupported
     * BMP compression"). javax.imageio reads them, allocating the header's image size first: a 66-byte file claiming
     * 1.8 GB took 1.8 GB (found by fuzzing, docs/reliability.md, "Fuzzing the file parsers"). The compression field
     * is at byte 30 of the file in every info header of 40 bytes or more; the 12-byte OS/2 header has none.
     */
    private static void refuseEmbeddedBmp(Path file, ImageInputStream in) throws IOException {
        long at = in.getStreamPosition();
        ByteOrder order = in.getByteOrder();
        try {
            in.setByteOrder(ByteOrder.LITTLE_ENDIAN);
            if (in.length() < 34) return;   // too short for a compression field: javax.imageio reports the truncation
            in.seek(14);
            long headerSize = in.readUnsignedInt();
            in.seek(30);
            long compression = in.readUnsignedInt();
            if (headerSize >= 40 && (compression == 4 || compression == 5)) {
                throw new ImageDecodeException(file, Reason.UNSUPPORTED, "BMP with an embedded " + (compression == 4 ? "JPEG" : "PNG")
                        + " (compression " + compression + "), which PIL does not open either");
            }
        } finally {
            in.seek(at);
            in.setByteOrder(order);
        }
    }

    /** Decodes the first image in {@code file} and converts it to RGB as PIL's convert("RGB") does. */
    public static RgbImage read(Path file) throws ImageDecodeException {
        if (Files.isDirectory(file)) throw new ImageDecodeException(file, Reason.UNREADABLE, "is a folder");
        if (!Files.exists(file)) throw new ImageDecodeException(file, Reason.NOT_FOUND, null);
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            ImageReader reader = null;
            for (Iterator<ImageReader> readers = ImageIO.getImageReaders(in); readers.hasNext() && reader == null; ) {
                ImageReader r = readers.next();   // only these four: javax.imageio also has TIFF and WBMP readers
                if (FORMATS.contains(r.getFormatName().toLowerCase(Locale.ROOT))) reader = r;
                else r.dispose();
            }
            if (reader == null) {
                throw new ImageDecodeException(file, Reason.UNKNOWN_FORMAT, in.length() == 0 ? "empty file"
                        : "the first bytes match no JPEG, PNG, GIF or BMP signature");
            }
            try {
                if (reader.getFormatName().equalsIgnoreCase("bmp")) refuseEmbeddedBmp(file, in);
                reader.setInput(in, true, false);
                return decode(file, reader, in.length());
            } finally {
                reader.dispose();
            }
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IIOException e) {
            throw new ImageDecodeException(file, Reason.DAMAGED, messages(e), e);
        } catch (FileNotFoundException e) {   // exists but cannot be opened (permissions)
            throw new ImageDecodeException(file, Reason.UNREADABLE, e.getMessage(), e);
        } catch (IOException e) {
            throw new ImageDecodeException(file, Reason.UNREADABLE, messages(e), e);
        }
    }

    private static RgbImage decode(Path file, ImageReader reader, long fileBytes) throws IOException {
        int width, height;
        try {
            width = reader.getWidth(0);
            height = reader.getHeight(0);
        } catch (RuntimeException e) {   // header parsers throw too: a BMP with a negative data offset, NegativeArraySize
            throw new ImageDecodeException(file, Reason.DAMAGED, e.toString(), e);
        }
        long pixels = (long) width * height;
        if (pixels > 2 * PIL_MAX_IMAGE_PIXELS) {
            throw new ImageDecodeException(file, Reason.TOO_LARGE, width + "x" + height
                    + " is more than " + 2 * PIL_MAX_IMAGE_PIXELS + " pixels (PIL's decompression-bomb limit)");
        }
        if (fileBytes >= 0 && pixels > MAX_PIXELS_PER_BYTE * fileBytes) {
            throw new ImageDecodeException(file, Reason.DAMAGED, "the header says " + width + "x" + height
                    + " pixels, more than a file of " + fileBytes + " bytes can encode (" + MAX_PIXELS_PER_BYTE + " pixels a byte)");
        }
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        BufferedImage image;
        try {
            image = reader.read(0);
        } catch (RuntimeException e) {   // decoders throw index and argument errors on corrupt data
            throw new ImageDecodeException(file, Reason.DAMAGED, e.toString(), e);
        }
        if (!warnings.isEmpty()) throw new ImageDecodeException(file, Reason.DAMAGED, String.join("; ", warnings));
        return toRgb(file, image, reader);
    }

    /** True for a JPEG whose Adobe APP14 marker says transform 0 (plain CMYK, not YCCK). */
    private static boolean isAdobeCmyk(ImageReader reader) throws IOException {
        return "0".equals(metadataAttribute(reader, "javax_imageio_jpeg_image_1.0", "app14Adobe", "transform"));
    }

    /**
     * True for a PNG whose header says plain grey (colour type 0). javax.imageio turns a grey PNG with a tRNS
     * chunk into grey + alpha, but PIL still opens it as mode I and clips rather than taking the high byte.
     */
    private static boolean isPlainGreyPng(ImageReader reader) throws IOException {
        return "Grayscale".equals(metadataAttribute(reader, "javax_imageio_png_1.0", "IHDR", "colorType"));
    }

    /** Attribute {@code attribute} of the first node called {@code node} in the image metadata tree, or null. */
    private static String metadataAttribute(ImageReader reader, String format, String node, String attribute)
            throws IOException {
        IIOMetadata meta;
        try {
            meta = reader.getImageMetadata(0);
        } catch (RuntimeException e) {   // as for the header (decode)
            throw new IIOException("corrupt image metadata: " + e, e);
        }
        String[] formats = meta == null ? null : meta.getMetadataFormatNames();
        if (formats == null || !Arrays.asList(formats).contains(format)) return null;
        Deque<Node> pending = new ArrayDeque<>(List.of(meta.getAsTree(format)));
        while (!pending.isEmpty()) {
            Node n = pending.pop();
            if (n.getNodeName().equals(node)) {
                Node a = n.getAttributes().getNamedItem(attribute);
                return a == null ? null : a.getNodeValue();
            }
            for (Node c = n.getLastChild(); c != null; c = c.getPreviousSibling()) pending.push(c);
        }
        return null;
    }

    private static RgbImage toRgb(Path file, BufferedImage image, ImageReader reader) throws IOException {
        int w = image.getWidth(), h = image.getHeight();
        Raster raster = image.getRaster();
        ColorModel cm = image.getColorModel();
        byte[] rgb = new byte[RgbImage.checkedBytes(w, h)];
        if (cm instanceof IndexColorModel icm) {
            expandPalette(raster, icm, rgb);
            return RgbImage.wrap(w, h, rgb);
        }
        int colours = cm.getNumColorComponents();
        int bits = raster.getSampleModel().getSampleSize(0);
        int space = cm.getColorSpace().getType();
        boolean adobeCmyk = colours == 4 && isAdobeCmyk(reader);
        boolean supported = (colours == 1 && space == ColorSpace.TYPE_GRAY)
                || (colours == 3 && space == ColorSpace.TYPE_RGB)
                || (colours == 4 && space == ColorSpace.TYPE_CMYK && adobeCmyk);
        if (!supported || (bits != 8 && bits != 16) || (colours == 4 && bits != 8)) {
            throw new ImageDecodeException(file, Reason.UNSUPPORTED, colours + " colour components ("
                    + colourSpaceName(space) + (colours == 4 && !adobeCmyk ? ", YCCK or no Adobe marker" : "")
                    + "), " + bits + "-bit samples");
        }
        if (bits == 8 && colours != 4 && isByteInterleaved(raster)) {
            copyInterleaved(raster, colours, rgb);
        } else {
            boolean clipGrey = colours == 1 && bits == 16 && isPlainGreyPng(reader);
            convertSamples(raster, colours, bits, clipGrey, rgb);
        }
        return RgbImage.wrap(w, h, rgb);
    }

    private static String colourSpaceName(int type) {
        return switch (type) {
            case ColorSpace.TYPE_GRAY -> "grey";
            case ColorSpace.TYPE_RGB -> "RGB";
            case ColorSpace.TYPE_CMYK -> "CMYK";
            case ColorSpace.TYPE_YCbCr -> "YCbCr";
            default -> "colour space type " + type;
        };
    }

    private static void expandPalette(Raster raster, IndexColorModel icm, byte[] rgb) {
        int w = raster.getWidth(), h = raster.getHeight(), n = icm.getMapSize();
        byte[] r = new byte[n], g = new byte[n], b = new byte[n];
        icm.getReds(r);
        icm.getGreens(g);
        icm.getBlues(b);
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 0, row);
            for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                int i = row[x];
                rgb[o] = r[i];
                rgb[o + 1] = g[i];
                rgb[o + 2] = b[i];
            }
        }
    }

    private static boolean isByteInterleaved(Raster raster) {
        return raster.getDataBuffer() instanceof DataBufferByte && raster.getDataBuffer().getNumBanks() == 1
                && raster.getSampleModel() instanceof ComponentSampleModel;
    }

    /** 8-bit samples in one byte array (JPEG, 8-bit PNG): read in place, colour bands only. */
    private static void copyInterleaved(Raster raster, int colours, byte[] rgb) {
        ComponentSampleModel sm = (ComponentSampleModel) raster.getSampleModel();
        byte[] data = ((DataBufferByte) raster.getDataBuffer()).getData();
        int w = raster.getWidth(), h = raster.getHeight();
        int stride = sm.getPixelStride(), base = raster.getDataBuffer().getOffset();
        int tx = raster.getMinX() - raster.getSampleModelTranslateX();
        int ty = raster.getMinY() - raster.getSampleModelTranslateY();
        int[] band = sm.getBandOffsets();
        int r = band[0], g = band[colours == 1 ? 0 : 1], b = band[colours == 1 ? 0 : 2];
        for (int y = 0; y < h; y++) {
            int in = base + (ty + y) * sm.getScanlineStride() + tx * stride;
            for (int x = 0, o = y * w * 3; x < w; x++, o += 3, in += stride) {
                rgb[o] = data[in + r];
                rgb[o + 1] = data[in + g];
                rgb[o + 2] = data[in + b];
            }
        }
    }

    /**
     * Everything else through Raster.getPixels: 16-bit samples, packed layouts, CMYK. {@code clipGrey}: 16-bit
     * grey is clipped at 255 (PIL mode I) instead of reduced to its high byte (PIL mode LA).
     */
    private static void convertSamples(Raster raster, int colours, int bits, boolean clipGrey, byte[] rgb) {
        SampleModel sm = raster.getSampleModel();
        int w = raster.getWidth(), h = raster.getHeight(), bands = sm.getNumBands();
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            for (int x = 0, i = 0, o = y * w * 3; x < w; x++, i += bands, o += 3) {
                if (colours == 4) {
                    cmykToRgb(row[i], row[i + 1], row[i + 2], row[i + 3], rgb, o);
                } else if (colours == 1) {
                    int v = bits == 8 ? row[i] : clipGrey ? Math.min(row[i], 255) : row[i] >> 8;
                    rgb[o] = rgb[o + 1] = rgb[o + 2] = (byte) v;
                } else {
                    int shift = bits - 8;
                    rgb[o] = (byte) (row[i] >> shift);
                    rgb[o + 1] = (byte) (row[i + 1] >> shift);
                    rgb[o + 2] = (byte) (row[i + 2] >> shift);
                }
            }
        }
    }

    /** PIL's cmyk2rgb: each channel is (255 - k) minus c scaled by (255 - k) / 255, with PIL's rounding. */
    private static void cmykToRgb(int c, int m, int y, int k, byte[] rgb, int o) {
        int nk = 255 - k;
        rgb[o] = (byte) (nk - mulDiv255(c, nk));
        rgb[o + 1] = (byte) (nk - mulDiv255(m, nk));
        rgb[o + 2] = (byte) (nk - mulDiv255(y, nk));
    }

    /** a * b / 255 rounded to nearest, exact for a, b in 0..255 (the usual (t + (t >> 8)) >> 8 trick). */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return (t + (t >> 8)) >> 8;
    }

    /** The message of {@code e} followed by its causes' messages, which javax.imageio keeps there. */
    private static String messages(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (s.indexOf(m) < 0) s.append(s.length() == 0 ? "" : ": ").append(m);
        }
        return s.toString();
    }
}
