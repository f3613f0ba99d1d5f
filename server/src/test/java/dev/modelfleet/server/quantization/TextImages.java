package dev.modelfleet.server.quantization;

import java.awt.Color;
import java.awt.Font;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Text-like images for a text detector's calibration and validation, rendered with java.awt (no
 * download, seeded): a page or a photo-like background (white, a light or dark colour, a two-colour
 * gradient) with 4–12 lines of words in the machine's fonts (DejaVu/Liberation: sans, serif, mono,
 * bold/italic), 10–48 px, dark on light or light on dark, some lines rotated up to ±8°, a few
 * rectangles and blobs as non-text clutter, and mild per-pixel noise. Normalised as PaddleOCR's DB
 * detectors expect (channels in OpenCV's BGR order, scaled to [0,1], then ImageNet mean and std).
 */
final class TextImages {

  static final String[] WORDS = {
    "ModelFleet",
    "invoice",
    "TOTAL",
    "12.50",
    "2026-12-07",
    "Street",
    "No.",
    "receipt",
    "Tel:",
    "www.example.org",
    "OPEN",
    "Exit",
    "Batch",
    "QTY",
    "#4711",
    "Café",
    "delivery",
    "Berlin",
    "SALE -30%",
    "Thank you",
    "ID 0815",
    "Platform 3",
    "km/h",
    "€ 19,99",
    "order",
    "Model",
    "edge",
    "device",
    "version",
    "signed",
    "Shanghai",
    "Lot A-17"
  };

  static final String[] FONTS = {
    "DejaVu Sans",
    "DejaVu Serif",
    "DejaVu Sans Mono",
    "Liberation Sans",
    "Liberation Serif",
    "Liberation Mono",
    Font.SANS_SERIF,
    Font.SERIF
  };

  private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  private static final float[] STD = {0.229f, 0.224f, 0.225f};

  private TextImages() {}

  /** {@code count} images of size×size for an input named {@code input}, shape [1,3,size,size]. */
  static ValidationSet set(String input, int size, int count, long seed) {
    List<Map<String, ValidationSet.Sample>> samples = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      float[] chw = normalised(render(size, seed * 1000 + i));
      samples.add(
          Map.of(input, new ValidationSet.Sample(new long[] {1, 3, size, size}, chw, null)));
    }
    return new ValidationSet(samples, false);
  }

  static BufferedImage render(int size, long seed) {
    Random r = new Random(seed);
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    boolean dark = r.nextInt(5) == 0;
    Color bg =
        switch (r.nextInt(4)) {
          case 0 -> Color.WHITE;
          case 1 -> light(r, dark);
          default -> null;
        };
    if (bg == null) {
      g.setPaint(new GradientPaint(0, 0, light(r, dark), size, size, light(r, dark)));
    } else {
      g.setColor(bg);
    }
    g.fillRect(0, 0, size, size);
    // clutter that is not text: boxes, lines, blobs
    for (int i = r.nextInt(4); i > 0; i--) {
      g.setColor(light(r, !dark).darker());
      int x = r.nextInt(size);
      int y = r.nextInt(size);
      if (r.nextBoolean()) {
        g.drawRect(x, y, 10 + r.nextInt(size / 3), 10 + r.nextInt(size / 4));
      } else {
        g.fillOval(x, y, 5 + r.nextInt(size / 6), 5 + r.nextInt(size / 6));
      }
    }
    int lines = 4 + r.nextInt(9);
    for (int l = 0; l < lines; l++) {
      int px = Math.max(10, Math.round(size / 320f * (10 + r.nextInt(39))));
      Font font =
          new Font(FONTS[r.nextInt(FONTS.length)], r.nextInt(4), px)
              .deriveFont((float) px); // style 0-3: plain, bold, italic, bold italic
      g.setFont(font);
      g.setColor(ink(r, dark));
      StringBuilder text = new StringBuilder();
      for (int w = 1 + r.nextInt(4); w > 0; w--) {
        text.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
      }
      int x = r.nextInt(Math.max(1, size / 2));
      int y = px + r.nextInt(Math.max(1, size - px));
      AffineTransform saved = g.getTransform();
      if (r.nextInt(3) == 0) {
        g.rotate(Math.toRadians(r.nextDouble() * 16 - 8), x, y);
      }
      g.drawString(text.toString().trim(), x, y);
      g.setTransform(saved);
    }
    g.dispose();
    addNoise(img, r, 4);
    return img;
  }

  /** Mild grey per-pixel noise, as a camera or scanner adds: Gaussian, {@code sigma} levels. */
  static void addNoise(BufferedImage img, Random r, double sigma) {
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int rgb = img.getRGB(x, y);
        int n = (int) Math.round(r.nextGaussian() * sigma);
        img.setRGB(
            x,
            y,
            clamp(((rgb >> 16) & 255) + n) << 16
                | clamp(((rgb >> 8) & 255) + n) << 8
                | clamp((rgb & 255) + n));
      }
    }
  }

  /** CHW floats, B,G,R planes, (v/255 − mean)/std as PaddleOCR's NormalizeImage does. */
  static float[] normalised(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    float[] out = new float[3 * w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb = img.getRGB(x, y);
        int[] bgr = {rgb & 255, (rgb >> 8) & 255, (rgb >> 16) & 255};
        for (int c = 0; c < 3; c++) {
          out[c * w * h + y * w + x] = (bgr[c] / 255f - MEAN[c]) / STD[c];
        }
      }
    }
    return out;
  }

  private static Color light(Random r, boolean dark) {
    int base = dark ? 20 : 200;
    return new Color(base + r.nextInt(50), base + r.nextInt(50), base + r.nextInt(50));
  }

  private static Color ink(Random r, boolean dark) {
    return dark
        ? new Color(210 + r.nextInt(45), 210 + r.nextInt(45), 180 + r.nextInt(75))
        : new Color(r.nextInt(90), r.nextInt(90), r.nextInt(120));
  }

  private static int clamp(int v) {
    return Math.max(0, Math.min(255, v));
  }
}
