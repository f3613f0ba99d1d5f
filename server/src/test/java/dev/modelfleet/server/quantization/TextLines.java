package dev.modelfleet.server.quantization;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Cropped text lines as PaddleOCR's direction classifier sees them (the detector's boxes, cut out):
 * one line of words in the machine's fonts, dark on a light background with mild noise, half of
 * them turned by 180° (the upside-down crops the classifier exists to catch), resized to 48 px high
 * keeping the aspect ratio, at most 192 px wide, padded on the right, and normalised as PaddleOCR's
 * ClsResizeImg does (BGR, (v/255 − 0.5) / 0.5, zeros as padding). A classifier's top-1 agreement
 * means something on these; on random tensors its two classes sit near a tie, and one flip in 16
 * says little about the variant.
 */
final class TextLines {

  static final int HEIGHT = 48;
  static final int WIDTH = 192;

  /** The set and, per sample, whether the line is upside down (the classifier's class "180"). */
  record Set(ValidationSet samples, boolean[] turned) {}

  private TextLines() {}

  /**
   * {@code count} lines for an input named {@code input}, shape [1,3,48,192]; every other turned.
   */
  static Set set(String input, int count, long seed) {
    List<Map<String, ValidationSet.Sample>> samples = new ArrayList<>();
    boolean[] turned = new boolean[count];
    for (int i = 0; i < count; i++) {
      turned[i] = i % 2 == 1;
      float[] chw = normalised(render(seed * 1000 + i, turned[i]));
      samples.add(
          Map.of(input, new ValidationSet.Sample(new long[] {1, 3, HEIGHT, WIDTH}, chw, null)));
    }
    return new Set(new ValidationSet(samples, false), turned);
  }

  /** One line, 48 px high and at most 192 wide (unpadded). */
  static BufferedImage render(long seed, boolean turned) {
    Random r = new Random(seed);
    String fontName = TextImages.FONTS[r.nextInt(TextImages.FONTS.length)];
    Font font = new Font(fontName, r.nextInt(2), 40); // plain or bold
    StringBuilder text = new StringBuilder();
    for (int w = 1 + r.nextInt(3); w > 0; w--) {
      text.append(TextImages.WORDS[r.nextInt(TextImages.WORDS.length)]).append(' ');
    }
    String line = text.toString().trim();
    // measure, then draw the crop a detector would cut: the line with a small margin
    BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D pg = probe.createGraphics();
    FontMetrics metrics = pg.getFontMetrics(font);
    pg.dispose();
    int margin = 4 + r.nextInt(6);
    int cropW = metrics.stringWidth(line) + 2 * margin;
    int cropH = metrics.getAscent() + metrics.getDescent() + 2 * margin;
    BufferedImage crop = new BufferedImage(cropW, cropH, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = crop.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(new Color(205 + r.nextInt(50), 205 + r.nextInt(50), 195 + r.nextInt(60)));
    g.fillRect(0, 0, cropW, cropH);
    g.setColor(new Color(r.nextInt(80), r.nextInt(80), r.nextInt(110)));
    g.setFont(font);
    if (turned) {
      g.rotate(Math.PI, cropW / 2.0, cropH / 2.0);
    }
    g.drawString(line, margin, margin + metrics.getAscent());
    g.dispose();
    int w = Math.min(WIDTH, (int) Math.ceil(HEIGHT * cropW / (double) cropH));
    BufferedImage out = new BufferedImage(w, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D s = out.createGraphics();
    s.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    s.drawImage(crop, 0, 0, w, HEIGHT, null);
    s.dispose();
    TextImages.addNoise(out, r, 3);
    return out;
  }

  /** CHW floats of [1,3,48,192]: B,G,R planes, (v/255 − 0.5)/0.5, zeros right of the line. */
  static float[] normalised(BufferedImage line) {
    float[] out = new float[3 * HEIGHT * WIDTH];
    for (int y = 0; y < HEIGHT; y++) {
      for (int x = 0; x < line.getWidth(); x++) {
        int rgb = line.getRGB(x, y);
        int[] bgr = {rgb & 255, (rgb >> 8) & 255, (rgb >> 16) & 255};
        for (int c = 0; c < 3; c++) {
          out[c * HEIGHT * WIDTH + y * WIDTH + x] = (bgr[c] / 255f - 0.5f) / 0.5f;
        }
      }
    }
    return out;
  }
}
