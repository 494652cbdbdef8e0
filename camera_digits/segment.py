"""Segmentation: a frame in, candidate digit boxes out (threshold → line removal → components → merge → filter).

Ruled and grid lines are found and removed by camera_digits.lines.

A first pass runs on a grayscale copy whose longest side is at most `max_side_px`, so the cost per frame does
not grow with the camera's resolution; where the writing it finds is small, the frame is read again at the
scale the writing needs. Boxes come back in the processed pixels together with the scale factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import cv2
import numpy as np

from camera_digits.lines import line_pixels, line_remnants, remove_lines, runs_on
from camera_digits.pixels import (component_boxes, digit_mask, enlarge, labelled_components, pixels_per_label, rect,
                                 relabel, resized, shrink)

POLARITIES = ("dark", "light", "auto")
MAX_SIDE_PX = 640             # first pass's size: reads the dev photos as well as 800 or 960 px do, and is fastest
# Small writing is read again finer. On the page stress class (tune seeds) this took 87.9 % to 98.8 %; the
# sizes are MNIST's 20 px fit with room for the stroke to survive the threshold, not tuned further.
FINE_DIGIT_PX = 24            # writing typically shorter than this is read again at a finer scale ...
TARGET_DIGIT_PX = 36          # ... where it is this tall
# Writing smaller still leaves no candidate at all (MIN_DIGIT_HEIGHT_PX): a page's digits 1.6 % of its long side
# are 10 px tall at 640 px. Where there is no candidate, or the candidates are small too, the marks too small to
# be candidates but at least MIN_SMALL_MARK_PX tall (smaller ones are specks) are the writing where they outnumber
# the candidates and number MIN_SMALL_MARKS or more (a number's worth). On the tune pages of ruled paper (seeds
# 0-59) such writing read finer took 5,069 -> 5,138 of 5,413 digits (66 -> 77 false), plain pages the same. The
# counts are not tuned: 3, 5 and 10 marks read the same tune scenes but one digit of mixed sizes (lost at 10);
# small marks beside large candidates read the same too, but a few ticks beside large digits would then have the
# frame read at full size. The least mark was 6 px until digits 9-14 px tall in a 1280x720 frame (4.5-7 px at 640
# px) were measured (far_page): on its tune seeds 5 and 4 px read 87.2 % against 85.8 % (1280x720 frames 80.2 ->
# 84.4 %), with 8 false digits as before; every other tune scene read the same.
MIN_SMALL_MARK_PX = 5
MIN_SMALL_MARKS = 5
MAX_FINE_SIDE_PX = 2560       # the finer copy's longest side, at most: bounds the time of a 12-megapixel photo
# Writing small in the frame's own pixels (a webcam taking in a whole sheet, a 320x240 camera) is read enlarged,
# up to MAX_ENLARGEMENT times: a stroke 1-2 px wide then stays whole through the threshold and the digit clears
# MIN_DIGIT_HEIGHT_PX. Larger writing (ENLARGE_BELOW_PX or taller) is not: read twice as large, the low_res stress
# scenes (digits 15-28 px, tune seeds) read 94.0 % against 94.3 % when they were first measured. On the tune seeds
# of the far_page scenes (digits 9-14 px) 45.7 % read without enlarging; enlarging writing under 12, 16, 20 and
# 24 px up to twice read 71.2, 85.8, 86.2 and 86.3 % (low_res the same up to 16 px; 20 px made a false digit
# there, 24 px also lost 2 digits); up to three times under 16 px read 87.8 %, but its 640x480 frames took 33 ms
# instead of 17 (median). The enlarged copy is made from the frame itself, and interpolation smooths its sensor
# noise out of what sensor_noise measures: it is never smoothed for a dim room.
ENLARGE_BELOW_PX = 16
MAX_ENLARGEMENT = 2.0
POLARITY_MARGIN = 30         # gray levels by which ink stands out from its surroundings, to tell polarity
# Where what stands out darker and brighter are within this factor of each other (a sheet among bright things
# in a room), "auto" reads the frame both ways and keeps the reading the model is surer of. On the tune seeds
# of the cluttered scenes 1.5 and 2.0 read 515 digits right against 499 read one way (2 of 13 frames with
# furniture were read as light ink), every other class the same, 3.0 lost a plain digit for 3 false ones; the
# dev photos read the same at 1.5 and lost 2 digits at 2.0. Only 0-3 of 30 tune frames of the other classes
# come within 2.0; a chalk board stays below 0.3.
POLARITY_AMBIGUITY = 1.5
BACKGROUND_SCALE = 4          # the paper's brightness is estimated on a 4× smaller image (a power of two)
# The paper around a pixel is judged over a square window wider than any pen stroke: PAPER_WINDOW_SHARE of the
# frame's shorter side. A marker held close to the camera draws wider strokes, whose middles that window took for
# paper, leaving the digit hollow. So the paper is judged over WIDE_PAPER_WINDOW_SHARE of the side around a mark
# (thick_marks) that
# - has a stroke at least THICK_STROKE_SHARE of the narrower window wide, measured against the wider one's paper;
# - is dark: its contrast there is at least THICK_INK_SHARE of the greatest in view (the corner of a shadow that
#   the wider window cut off from the rest of it is paler than the ink in it);
# - lies clear of the frame's border (a shadow or the room around a sheet runs out of the view);
# - is dark ink (read as light ink, a sheet lying in the view is itself a dark mark as wide as the sheet).
# Chosen on the tune seeds, marks up to 95 % of the frame's height counted: close_up read 89.7 % (41 false digits)
# with an eighth everywhere; a fifth everywhere 94.9 % (10 false) but 13 slanted-rules, 13 cluttered, 8 low-res
# and 7 defocus digits fewer; a sixth everywhere 94.2 %. A fifth for the whole frame where a stroke clear of the
# border is 0.6, 0.8 or 1.0 of the eighth wide: 94.4, 94.6 and 94.8 % (a quarter at 1.0: 94.4 %; not clear of the
# border at 0.6: 94.7 %, but 14 hard-shadow digits fewer). A fifth only around such marks, with darkness shares of
# 0.5, 0.6 and 0.7: 94.6, 94.4 and 94.4 % (21 false); with none, 2 hard-shadow digits fewer; read as light ink
# too, 10 false digits more; a quarter around them (0.6), 94.6 %, but 2 cluttered digits fewer. Every other tune
# scene and the dev photos read the same.
PAPER_WINDOW_SHARE = 1 / 8
WIDE_PAPER_WINDOW_SHARE = 1 / 5
THICK_STROKE_SHARE = 1.0
THICK_INK_SHARE = 0.6
# A hard shadow's edge (a phone or a hand under a point light, the sun) is a sharp step in the paper's light. The
# paper's level, enlarged smoothly from the 4× smaller image, carries the lit side a few pixels into the shadow,
# where the shadowed paper then stands out as a line of ink along the edge: it joins the digits it crosses into
# one long mark, dropped as an edge. Where the paper's level varies by over SHADOW_STEP of its brightest within
# 2 pixels of the smaller image, a long mark (as tall or as wide as LONG_MARK_SHARE of the frame, or a flat
# stroke) loses what stands out, that near the step, only from the lit side's level, and its pieces are read as
# any mark. What is left of a mark too long to be a digit is kept only where it has ink both in the strip of
# shadow along the edge and off it (STRADDLE_SHARE of its ink or more each): a digit the edge crosses. Bits lying
# along the edge go with it, and so does what the line only joined to it from off the strip (clutter beyond a
# sheet's edge; dropping only what lies in the strip read the tune scenes the same).
# Chosen on the tune seeds of the hard-shadow scenes: 86.4 → 92.2 % of their digits read. Steps of 0.2 read the
# same, 0.4 made a false digit more among cluttered surroundings; long marks from a third of the frame read
# 93.2 % but made 2 more false digits there; straddle shares of 0.05 and 0.2 read 92.4 and 92.1 %. Every other
# tune scene read the same but one cluttered one (a digit fewer, a false digit more). Once a digit in the shade
# beside the edge was left to the classifier, long marks from 0.4, 0.35, 0.3 of the frame read 843, 845, 852 of the
# 881 hard-shadow tune digits (836 at 0.5) for 1–3 false digits more among clutter and close-ups; 0.3 did not
# carry over: on the report seeds it cut fat close-up digits apart where their hollows make steps (close-ups
# 93.5 → 92.9 %, 5 false digits more), for 18 hard-shadow digits more.
SHADOW_STEP = 0.3
SHADOW_STEP_WINDOW = rect(5, 5)     # 2 pixels either way
SHADOW_STRIP_WINDOW = rect(9, 9)    # 4 pixels either way
LONG_MARK_SHARE = 0.5
STRADDLE_SHARE = 0.1

# Ink: contrast is how much darker than the paper a pixel is, 255 = black.
MIN_CONTRAST = 48             # ink is at least ~19 % darker than the paper around it
# ... unless the frame is faint: out of focus (a pen's stroke spread over a few pixels) or washed out (a camera
# exposing for a bright room, glare, a pencil), its ink may stay under MIN_CONTRAST although it stands out from
# the paper as plainly as ever. So where the frame's darkest mark is faint, ink is what reaches INK_PEAK_SHARE
# of it, but never less than PAPER_NOISE_MARGIN times the paper's own mottle (the contrast PAPER_SHARE of the
# paper stays under), nor than MIN_FAINT_CONTRAST. On the tune seeds of the defocus scenes 0.25, 0.3 and 0.4
# read 513, 514 and 514 of 548 digits (none: 490); on the other 14 classes 0.2, 0.25, 0.3, 0.35 and 0.4 read 11
# fewer, 4, 11, 8 and 4 more of 8,848 digits, with 20, 16, 9, 9 and 3 fewer false digits than 118. Without the
# margin, 6 more false digits on wood, fabric and furniture alone and 2 on blank paper (margins of 3 and 4:
# none); a margin of 3 read 6 more tune digits in all (9 more out of focus, 3 fewer elsewhere) for 1 more false
# digit, within the noise, and 4 keeps the floor further from the mottle of frames never seen.
# The peak is the frame's darkest pixel: one at least MIN_CONTRAST / INK_PEAK_SHARE dark (a speck, a sheet's edge)
# keeps the floor at MIN_CONTRAST, where it always was. The paper is what is fainter than INK_PEAK_SHARE of the
# peak: in a close-up of a bold number the ink covers more than a tenth of the frame, and counted as mottle it
# held the floor at MIN_CONTRAST (on 100 washed_out tune scenes 848 of 918 digits read with it counted, 863
# without). A washed-out pen's ink may reach only a tenth of black: on those scenes MIN_FAINT_CONTRAST 24 read
# 860 digits, 16, 12 and 8 read 863; the tune scenes of six classes pressed to 30 % of their contrast read
# 2,306, 2,312 and 2,317 of 2,390 at 16, 12 and 8 (2,088 at 24 with the ink counted as mottle and no
# FAINT_LEVEL_SHARE), and 12 keeps further from the noise. The other tune scenes, with FAINT_LEVEL_SHARE
# (below): 8,677 of 9,164 digits against 8,672, with 113 false digits as before.
INK_PEAK_SHARE = 0.3
PAPER_NOISE_MARGIN = 4
PAPER_SHARE = 0.9
MIN_FAINT_CONTRAST = 12
# In a faint frame Otsu's level is at most FAINT_LEVEL_SHARE of the peak: where digits lie in the light and
# in a shadow, Otsu parts the two, and the shadowed digits passed the floor but not the level. On the washed_out
# tune scenes 0.35, 0.45 and 0.6 read 863, 863 and 862 digits (no such cap 845), with 10, 10 and 9 false ones
# (none: 9); every other tune scene read the same. Capping the level so in every frame, not only faint ones,
# read the same digits and left 5 more false digits on wood, fabric and furniture alone.
FAINT_LEVEL_SHARE = 0.45
# A camera moving while its shutter is open smears every stroke along the move: a stroke running across the move
# spreads over the move's length and fades as much, while one along it stays dark. The faded strokes fall under
# the floor, and the digit comes apart into pieces read as "1"s, or is lost. Two pieces that faint ink (from
# FAINT_BRIDGE_SHARE of the floor up, but no fainter than the paper's mottle allows, as ink_floor) connects into
# one mark are one digit, with that ink, where the mark is digit-shaped (at most MAX_BRIDGED_ASPECT as wide as
# tall, as MNIST's widest digits), at most MAX_BRIDGED_GROWTH times as long as the larger piece and holds other
# ink MIN_BRIDGE_SHARE of the pieces' own or more: two digits nearly touching share a thin halo, not a stroke
# (join_faint_bridges). Ruled lines, texture and a shadow's edge are no bridge. On the tune seeds of the moved
# scenes 483 -> 512 of 585 digits read (46 -> 22 false digits); dark boards 747 -> 748 of 777 and washed-out
# frames 871 -> 872 of 918 (10 -> 9 false), every other class the same. Shares of the floor of 0.35 and 0.65 read
# 513 and 514 moved digits; aspects of 1.0 and 1.5 read 507 and 515; growths of 1.5 and 2.5 read 505 and 516
# (thin pens and washed-out frames the same at 2.5: within the noise, and 2.0 looks at less faint ink); halo
# shares of 0.25 and 1.0 read 511 and 501 (1.0: 30 false), and no halo rule read 3 far-page digits fewer. A floor
# of half as much everywhere read 541 moved digits but joined creases, rules and halos to the digits: thin pens
# 242 -> 206 of 249, slanted rules 1,062 -> 912 of 1,093, touching digits 1,945 -> 1,777 of 2,412. Looking for
# the mark over the whole frame, with the growth measured from the largest of all the pieces in it, read 517
# moved digits and cost 0.25 ms a 10-digit frame, against 0.1 ms.
FAINT_BRIDGE_SHARE = 0.5
MAX_BRIDGED_ASPECT = 1.25
MAX_BRIDGED_GROWTH = 2.0
MIN_BRIDGE_SHARE = 0.5
# Glare on a glossy sheet or a whiteboard adds light to the paper and to the ink on it alike: the ink under it
# keeps a fraction of its contrast, and Otsu's level, set by the ink elsewhere, dropped it. Where the paper is
# GLARE_PAPER_MARGIN gray levels brighter than most of it or more (lit: glare lifts the paper), a mark need
# only pass GLARE_LEVEL_SHARE of the darkest ink in the square around it whose side is GLARE_WINDOW of the
# frame's shorter side (or the floor there, below).
# On the tune seeds of every class under a glare spot (its radius a sixth to a third of the frame's longer
# side, 40-70 % white light at its centre) 7,953 of 9,722 digits read before, 8,702 after, with 171 and 213
# false digits; without glare 9,198 both, with 117 false digits both; under a hard shadow across the frame
# 8,365 and 8,356, with 155 and 166. Margins of 0, 4, 8 and 16 read 8,813, 8,770, 8,702 and 8,516 digits under
# glare, with 224, 217, 213 and 201 false ones, and made 3, 2, 0 and 0 false digits more without glare (0 also
# left 4 false "1"s more on the dev photos turned by 10°). At a margin of 0, shares of 0.3 and 0.45 and windows
# of an eighth and a quarter read the same; relaxed on boards too, the level let in 4 more false digits among chalk.
# The ink floor there follows the ink nearby too, as a faint frame's follows its darkest mark (glare_floors, with
# INK_PEAK_SHARE, PAPER_NOISE_MARGIN and MIN_FAINT_CONTRAST): pencil under glare fell under a floor set by the
# pen elsewhere. On the tune seeds under a glare spot 8,996 -> 9,103 digits read (238 -> 216 false), the plain
# ones 860 -> 865; under a hard shadow 8,798 -> 8,806 (172 -> 170 false); without glare every tune scene the same.
# Shares of the darkest ink nearby of 0.2, 0.3 (INK_PEAK_SHARE) and 0.4 read 9,103, 9,103 and 9,089 glare digits,
# with 219, 216 and 228 false ones.
GLARE_LEVEL_SHARE = 0.45
GLARE_WINDOW = 0.25
GLARE_PAPER_MARGIN = 8
# A camera in a dim room raises its gain, and its sensor's noise with the picture: the paper's grain then stands
# out from it as much as a thin stroke's edges, and strokes broke into specks. Where the paper's pixel-to-pixel
# noise (sensor_noise) is over NOISY_PAPER, the frame is smoothed by a Gaussian of NOISE_SMOOTHING_SIGMA px
# before the paper and the ink are measured. Chosen on the tune seeds: 40 scenes of each of 11 stress classes
# and 60 plain ones, dimmed to 35 % with noise of 6 gray levels a channel, read 3,290 of 4,276 digits before (244
# false digits) and 3,570 after (181), and 491 -> 527 of 534 plain digits (29 -> 3 false); undimmed, 3,983 and
# 3,984 (40 and 42 false), the plain ones the same; the dim_light scenes, whose noise the camera's blur and
# JPEG soften, 814 -> 807 of 872 digits (9 -> 5 false: smoothed, the thinnest strokes of some 1280x720
# frames faded). Gates of 10, 12 and 16 read 3,547, 3,543 and 3,419 dimmed digits (195, 198, 235 false) and
# 816, 817, 818 dim_light ones; gates of 6 and 7 read 13 and 8 more dimmed digits than 8 and 10 and 2 fewer
# undimmed ones; a sigma of 1.0 (gate 6) read 3,596 dimmed digits and lost 19 undimmed. Wood,
# fabric and furniture alone: 77 false digits before and after; 200 blank sheets: 9 and 10.
NOISY_PAPER = 8
NOISE_SMOOTHING_SIGMA = 0.7
# Noise over a quarter of the paper's brightness leaves no ink readable (a stroke half as dark as the paper stands
# two noise deviations out): such a frame is static, not a page, and smoothed, its grain would clump into
# digit-like blobs. It is left as it is, where its grain stays specks. Not tuned: in the polarity they are read in,
# the tune scenes of every class measure at most 37, dimmed to 35 % or not; uniform static about 100.
NOISIEST_PAPER = 64
NOISE_ROW_STEP = 8             # the noise is measured on every eighth triple of rows: 0.1–0.2 ms a 640×480 frame
MAX_CONTRAST_THRESHOLD = 110  # Otsu never asks for more than ~43 %: faint pen strokes must survive
# Chalk's pressure varies along a stroke far more than ink, and bold chalk words lift Otsu's level over
# whole faint digits: on a board it asks for at most ~29 %. On the dark_board tune scenes 110 read 80.5 % of
# the digits, 90 85.2 %, 75 94.0 %, 60 96.3 % (precision 89.7, 89.6, 89.3, 88.4 %). On paper the same caps
# cost the dev photos one error more at 80 and two at 70, and thin-pen tune precision 94.3 -> 93.5 % at 75.
MAX_CHALK_CONTRAST_THRESHOLD = 75
MAX_INK_FRACTION = 0.3        # more ink than this and the frame is not a page with writing on it
# Around a sheet held up or lying on a desk may be wood grain or fabric, whose grain and mottle stand out from
# their surroundings as ink does and cover much of a wide area; writing never does. Where the ink covers more
# than TEXTURE_INK_FRACTION of the TEXTURE_WINDOW_PX square around each point, in one region of at least
# TEXTURE_MIN_SHARE of the frame holding at least TEXTURE_MIN_MARKS marks (a close-up of a number in a thick
# marker holds fewer) or a long grain line (below), the frame shows texture, not paper (furniture's flat
# shapes and outlines are not dense: they stay candidates, as before). On the tune seeds of the cluttered
# stress scenes the digits read rose from 77.0 to 94.2 % and the false digits fell from 85 to 32, all other
# classes the same. Without the count of marks: 3 false digits fewer, one digit of mixed sizes lost; 3 marks:
# the same; 10 marks: 38 digits fewer. An ink fraction of 0.3 left 9 false digits fewer but lost 7 digits on
# slanted rules; windows of 64 and 128 px read 1 more and 3 fewer, and a least region of 0.15 (128 px) left 42
# more false digits. The window's blur takes the region up to about 20 px into the sheet; pulling it back by 12
# or 24 px read one digit more and one fewer for 32 and 71 more false digits.
TEXTURE_WINDOW_PX = 96
TEXTURE_INK_FRACTION = 0.35
TEXTURE_MIN_SHARE = 0.1
TEXTURE_MIN_MARKS = 6
TEXTURE_MARK_COVERAGE = 127   # a mark is a connected run of 4×4 blocks more than half ink
# Long wood grain holds few marks, each far longer than it is thick: a region holding a mark whose box's
# diagonal squared is this many times its area (about its length over its thickness) is texture too. Ruled
# and grid lines, which cross the digits and join them into long marks, are left out of this measure. The
# marks of close-ups of bold digits measure up to about 9 (a bold "1"), grain 12-36. On the cluttered tune
# seeds 0-59 and 60-159, 9, 12 and 16 all took the false digits from 36 to 33 and from 108 to 91; every tune
# scene read the same.
TEXTURE_GRAIN_ELONGATION = 12
# A frame with less paper than this beside its texture holds no sheet worth reading (a sheet in the cluttered
# scenes fills at least 35 %): on the tune seeds 0.2 and 0.3 read the same; on 12 frames of fabric alone they
# left 33 and 29 false digits, no such floor 40.
MIN_PAPER_SHARE = 0.3

# Components and candidates, in processed pixels.
MIN_COMPONENT_AREA_PX = 12    # smaller components are paper texture and sensor noise
MAX_COMPONENTS = 400          # on noisy frames only the largest components can be digits
# A mark thicker than 40 % of its size is a blob, not a pen stroke: a filled disc or square measures 50 %, a
# small marker digit whose loops close up 30-40 % (0.3 dropped 3 % of the thick-marker tune digits; 0.45 read
# the same as 0.4).
MAX_STROKE_RATIO = 0.4
MIN_DIGIT_HEIGHT_PX = 12      # smaller marks are specks or print
# A mark this tall relative to the frame is a paper edge, a hand, a shadow. A camera held close to one number
# fills most of the view with it: on the close_up tune seeds 0.8 read 85.9 % of the digits (13 % of those over
# 80 % of the frame's height), 0.9 89.2 %, 0.95 89.7 %, no limit 89.9 %; at 0.95 hard_shadow read a digit more,
# every other tune scene and the dev photos the same.
MAX_FRAME_FRACTION = 0.95
MAX_ASPECT = 8.0              # width / height; wider marks are dashes and lines, not a number of glued digits
                              # (for the splitter): ten digits about 0.8 as wide as tall; not tuned
# Fragments merge again and again (a digit in three pieces), so lines of digits written close together can chain
# into one mark a paragraph tall, and every digit in it was lost. A merged mark more than this many times as tall
# as its tallest component, or as wide as its widest, is such a chain and is read as its components (a digit in
# pieces within the chain comes apart too). Pieced digits of the tune scenes reach 2.7 times; on tune pages
# 100-219 a limit of 2.5, 3.0 and 4.0 read 148, 141 and 77 more of 10,572 digits than none (3.0: 10 more false
# digits); 2.5 made 3 more false digits on thin pens elsewhere.
MAX_GROUP_GROWTH = 3.0
# The dark side of an edge between two surfaces (a sheet against a door, a table, a sofa) stands out from the
# sheet as ink does and is read as a "1" (one_sided). Ink has paper all around it: a mark with over EDGE_SHARE
# of the ring 2-4 px around it (RING_OUTER_PX) within EDGE_DARKNESS of the way from its own darkness to the
# paper's is no ink. Measured on tune candidates read as digits, that share reached 0.66 for one of 834 digits
# on cluttered scenes and 0.5 for one of 249 thin-pen digits (every other class 0.25 at most), and was over 0.4
# for 62 % of the false digits there. A share of 0.3, 0.4 and 0.5 left 15, 19, 19 of the 33 false digits of
# the cluttered tune seeds 0-59 and 46, 57, 69 of the 91 of seeds 60-159, for 1 digit lost there, and 3, 1, 1
# on thin pens (seeds 60-159; 0.4 also lost one on slanted rules); all else read the same.
# That was with the paper's level at the ring's brightest tenth; its brightest pixel, cheaper, read the same
# digits and left 18 and 49 of them.
RING_OUTER_PX = 4
EDGE_DARKNESS = 0.25
EDGE_SHARE = 0.4
# A digit in the shade beside a hard shadow's edge has a dark side too, but one lighter than itself all round
# (lighter_all_round): such a mark is left to the classifier (Segmentation.in_shade). On the tune seeds hard
# shadows read 836 of 881 digits at a darkest tenth 0, 0.03 or 0.06 of the way lighter (835 at 0.1) against 813
# with every one-sided mark dropped, and close-ups made 23, 21, 21 false digits (21 before). With every one-sided
# mark left to the classifier, the hollows of fat markers' strokes read as digits: 38 false on close-ups.
SHADED_RING_LEVEL = 0.03
RING_INNER = np.ones((3, 3), np.uint8)
RING_OUTER = np.ones((2 * RING_OUTER_PX + 1,) * 2, np.uint8)
# A pen's dot right above a short stroke makes an "i" or a "j", right below one a "!", and the stroke alone reads as a
# sure "1" (the dot is dropped as a speck or a blob, or stays apart from the stroke as dirt beside it would; a dot
# close enough to a small stroke joins it as a piece, and is not looked for). A narrow mark (at most
# DOT_MARK_MAX_ASPECT as wide as tall) carries a dot (has_pen_dot) when a mark that no candidate holds lies at most
# DOT_MAX_GAP of its height above or below it, over that end of its stroke (its first or last DOT_END_SHARE of rows):
# round (at most twice as long as wide), filled (at least DOT_MIN_FILL of its box; a disc fills 0.79), at most
# DOT_MAX_SIZE of the stroke's height across and at least DOT_MIN_PEN of the pen's width (a speck of dirt is smaller).
# Set from the shapes of written dots, not swept. On the tune seeds of the stress classes the "1"s it refuses were 12
# false digits (9 among letters) and 2 digits (a "1" under a speck of the texture around a sheet, another under a
# scrap of a close-up's shadow); a speck along a crease by a slanted thin-pen "1" cost one more before the dot had to
# lie over the stroke's end. A "7" with a dot under it may be a "?", but the tune seeds' dotted "7"s were 2 false
# digits and 2 digits (in three unseen hands 8 and 1): only "1"s are refused.
DOT_MARK_MAX_ASPECT = 0.6
DOT_MAX_GAP = 0.6
DOT_END_SHARE = 0.2
DOT_MAX_SIZE = 0.45
DOT_MIN_PEN = 0.7
DOT_MIN_FILL = 0.45
MAX_PIECE_HEIGHT = 0.4        # a mark this short, inside a taller one's height and touching it, is a piece of it:
                              # the marks the former 0.4 relative-height veto dropped; on plain scenes 0-199 the
                              # false digits it let in join their digit, and 1000-1299 gain none
# A 5's flag is often written apart from its body, above its right half (detached_flags). Set from the 13 such 5s
# that the tune seeds read in too small a box, not swept: their flags were 0.05-0.58 of the body's height tall (at
# most FLAG_MAX_HEIGHT), 1.27-15 times as wide as tall (at least FLAG_MIN_FLATNESS times), their bottoms within
# 0.28 of the body's height of its top (within FLAG_MAX_GAP), their left ends over the body or at most 2 % of their
# width past it (at most FLAG_MAX_SHIFT of the body's height), the two together up to 1.57 times as wide as tall
# (at most FLAG_MAX_JOINED_ASPECT); the bodies were at least 0.55 as wide as tall (FLAG_MIN_BODY_WIDTH: not a "1",
# even with a foot, which a dash or an underline over its top would turn into a "5"). A shift of 0.3 also joined
# specks of the texture around a sheet to marks (2 cluttered digits lost on the report seeds) and, on one tune page,
# the broken pieces of a hair-line hand's flourishes (5 false digits fewer).
FLAG_MAX_HEIGHT = 0.6
FLAG_MIN_FLATNESS = 1.2
FLAG_MAX_GAP = 0.3
FLAG_MAX_SHIFT = 0.1
FLAG_MAX_JOINED_ASPECT = 1.6
FLAG_MIN_BODY_WIDTH = 0.5
MAX_CLIPPED_HEIGHT = 2.0      # a cut mark over twice as tall as the uncut candidates is not one of the digits:
                              # grid-line pieces running out of plain scenes 1000-1299 are 2.7-3.7 times; not tuned
MIN_CLIPPED_HEIGHT = 0.8      # a digit that lost a fifth of its height to the frame's top or bottom is not read:
                              # on the frame-edge tune scenes 0.8 reads as many legible cut digits as no rule, 0.9 fewer
MAX_BORDER_RUN = 2.0          # a mark along the frame border twice as long as it is deep is an edge (along_border):
                              # a digit is at most ~1.25 as wide as tall; no frame-edge tune digit comes near it


@dataclass(frozen=True)
class ShadowSteps:
    """The sharp steps in the paper's light of one image (see SHADOW_STEP). Most frames with a step (a sheet's
    edge) have no long mark to cut, so the full-size masks are made only when asked for.

    ink_gray: the image (dark ink) the steps are in, as threshold_ink's contrast was measured on it.
    paper: its paper_level, at 1/4 size.
    small_near, small_strip: uint8 at 1/4 size, the steps and the strips of shadow along them (below).
    """

    ink_gray: np.ndarray
    paper: np.ndarray
    small_near: np.ndarray
    small_strip: np.ndarray

    @cached_property
    def near(self) -> np.ndarray:
        """uint8 at ink_gray's size, 255 within 2 pixels of the 4× smaller image of a step."""
        return enlarge(self.small_near, BACKGROUND_SCALE, self.ink_gray.shape[::-1])

    @cached_property
    def shadowed_strip(self) -> np.ndarray:
        """uint8 at ink_gray's size, 255 on the shadowed side of a step, within 4 of those pixels."""
        return enlarge(self.small_strip, BACKGROUND_SCALE, self.ink_gray.shape[::-1])

    @cached_property
    def shadowed_paper(self) -> np.ndarray:
        """The paper's level at 1/4 size, each pixel the darkest within one pixel of it: beside a step, the
        shadowed side's level."""
        return cv2.erode(self.paper, rect(3, 3))


@dataclass(frozen=True)
class Segmentation:
    """The candidates of one frame, in processed pixels.

    labels: int32 (h, w) connected-component label of each ink pixel (0 = paper), the processed size.
    kept: uint8 (number of labels,) 255 for the components kept as possible writing, else 0.
    boxes: int32 (N, 4) candidate boxes as (x, y, w, h), in processed pixels.
    groups: for each box, the component labels that make up that digit.
    scale: processed size / original size (over 1 only where small writing was read enlarged).
    contrast: uint8 (h, w) ink darkness relative to the paper (255 = black), for anti-aliased crops.
    writing_px: the writing's typical height in processed pixels (writing_height; 0: none found).
    in_shade: bool (N,), or None for all False: the boxes with a dark side (one_sided) lighter than themselves all
        round (a digit in the shade beside a shadow's edge, or an edge's dark side in the shade; see
        lighter_all_round), for the classifier to read only when it is sure.
    stats: int32 (number of labels, 5): each component's (x, y, w, h, area) as threshold_ink gives them (area 0:
        dropped, yet still in `labels`), or None where they are not known.
    """

    labels: np.ndarray
    kept: np.ndarray
    boxes: np.ndarray
    groups: tuple[tuple[int, ...], ...]
    scale: float
    contrast: np.ndarray | None = None
    writing_px: float = 0.0
    in_shade: np.ndarray | None = None
    stats: np.ndarray | None = None

    @cached_property
    def binary(self) -> np.ndarray:
        """uint8 (h, w) mask of the kept ink (ink = 255): made only when asked for, by the debug view."""
        return relabel(self.kept, self.labels)

    @cached_property
    def clipped(self) -> np.ndarray:
        """bool (N,): for each box, whether it reaches the frame's border (the digit may be cut by it)."""
        return touches_frame(self.boxes, self.labels.shape)

    def dotted(self, index: int) -> bool:
        """Whether candidate `index` is a narrow mark with a pen's dot right above or below it (has_pen_dot): the
        stroke of an "i", a "j" or a "!", which is no "1". False where the components' `stats` are not known."""
        box = self.boxes[index]
        return bool(self.stats is not None and box[2] <= DOT_MARK_MAX_ASPECT * box[3]
                    and has_pen_dot(self.labels, self.dot_shapes, box, self.groups[index]))

    @cached_property
    def dot_shapes(self) -> DotShapes:
        """The frame's components that may be a pen's dot (DotShapes), found once for all its candidates; needs
        `stats`."""
        return DotShapes.of(self.stats, [label for group in self.groups for label in group])


def to_gray(frame) -> np.ndarray:
    """Convert a BGR/BGRA/gray frame of uint8, uint16 or float in [0, 1] to gray uint8 (H, W).

    Raises ValueError naming the expected and the given dtype and shape for anything else.
    """
    array = np.asarray(frame) if isinstance(frame, np.ndarray) else None
    if array is None or array.ndim not in (2, 3) or array.dtype.kind not in "uif" or min(array.shape[:2]) < 1:
        raise ValueError(f"frame must be BGR uint8 (H, W, 3); got {describe(frame)}")
    if array.ndim == 3 and array.shape[2] not in (1, 3, 4):
        raise ValueError(f"frame must be BGR uint8 (H, W, 3); got {describe(frame)}")
    array = to_uint8(array)
    if array.ndim == 2 or array.shape[2] == 1:
        return np.ascontiguousarray(array.reshape(array.shape[:2]))
    code = cv2.COLOR_BGR2GRAY if array.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
    return cv2.cvtColor(array, code)


def describe(frame) -> str:
    """'float64 (480, 640, 7)' for arrays, the type name for anything else."""
    if isinstance(frame, np.ndarray):
        return f"{frame.dtype} {frame.shape}"
    return type(frame).__name__


def to_uint8(array: np.ndarray) -> np.ndarray:
    """Scale uint16 (0–65535) and float (0–1) images to uint8; other integers are clipped."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.uint16:
        return (array >> 8).astype(np.uint8)
    if array.dtype.kind == "f":
        return (np.nan_to_num(np.clip(array, 0.0, 1.0)) * 255 + 0.5).astype(np.uint8)
    return np.clip(array, 0, 255).astype(np.uint8)


def paper_window_px(small: np.ndarray, share: float = PAPER_WINDOW_SHARE) -> int:
    """Odd side of the neighbourhood that stands for "the paper around" a pixel of a 1/4-size image: `share` of
    the shorter side, far wider than a pen stroke."""
    return max(3, int(min(small.shape) * share)) | 1


def ink_is_dark(gray: np.ndarray) -> bool:
    """Guess the polarity: ink is the marks that stand out from their surroundings, darker or brighter."""
    return darker_to_brighter(gray) >= 1.0


def darker_to_brighter(gray: np.ndarray) -> float:
    """How much more stands out darker than brighter: judged on a 4× smaller copy against a blurred one, the
    pixels much darker than their neighbourhood against the much brighter ones, summed by how much they stand
    out. Paper gives far more than 1, a board far less; a sheet among bright things in a room about 1."""
    small = shrink(gray, BACKGROUND_SCALE)
    window = paper_window_px(small)
    surroundings = cv2.blur(small, (window, window))
    darker = cv2.threshold(cv2.subtract(surroundings, small), POLARITY_MARGIN - 1, 0, cv2.THRESH_TOZERO)[1]
    brighter = cv2.threshold(cv2.subtract(small, surroundings), POLARITY_MARGIN - 1, 0, cv2.THRESH_TOZERO)[1]
    return (cv2.sumElems(darker)[0] + 1.0) / (cv2.sumElems(brighter)[0] + 1.0)


def polarities_to_read(small: np.ndarray, polarity: str) -> tuple[str, ...]:
    """The polarities ("dark", "light") to read a frame in, judged on its first pass's gray copy `small`: the
    one asked for, or for "auto" the guess, and the other one too, after it, where the guess is close (within
    POLARITY_AMBIGUITY either way)."""
    if polarity != "auto":
        return ("dark",) if dark_ink(small, polarity) else ("light",)
    ratio = darker_to_brighter(small)
    guess = ("dark", "light") if ratio >= 1.0 else ("light", "dark")
    return guess if 1 / POLARITY_AMBIGUITY <= ratio <= POLARITY_AMBIGUITY else guess[:1]


def ink_contrast(gray: np.ndarray, dark_ink: bool) -> np.ndarray:
    """How much darker each pixel is than the paper around it, relative to the paper: uint8, 255 = black ink;
    a noisy frame smoothed first, as segment_at does. See contrast_to_paper."""
    return contrast_to_paper(*ink_and_paper(gray, dark_ink))


def ink_and_paper(gray: np.ndarray, dark_ink: bool) -> tuple[np.ndarray, np.ndarray]:
    """The gray image with its ink dark (the negative for light ink), smoothed where noisy (smoothed_if_noisy),
    and its paper_level (which looks for a marker's wide strokes in dark ink only: read as light ink, a sheet
    lying in the view is itself a dark mark as wide as the sheet)."""
    ink_gray = smoothed_if_noisy(gray if dark_ink else cv2.bitwise_not(gray))
    return ink_gray, paper_level(ink_gray, thick_strokes=dark_ink)


def smoothed_if_noisy(ink_gray: np.ndarray) -> np.ndarray:
    """A gray image of dark ink, smoothed by NOISE_SMOOTHING_SIGMA where its sensor_noise is over NOISY_PAPER
    (and not over NOISIEST_PAPER: static)."""
    if NOISY_PAPER < sensor_noise(ink_gray) <= NOISIEST_PAPER:
        return cv2.GaussianBlur(ink_gray, (0, 0), NOISE_SMOOTHING_SIGMA)
    return ink_gray


def sensor_noise(ink_gray: np.ndarray) -> float:
    """The pixel-to-pixel noise of a gray image of dark ink (a frame, or the negative of one with light ink),
    relative to its median brightness (the paper's, where paper fills most of it) on the contrast's scale:
    255 = noise as strong as the paper is bright.

    The median form of Immerkær's estimate (1996): a second difference across three rows and three columns
    cancels the paper's shading and leaves six times the noise; its median, unlike its mean, is not lifted by
    the few strokes and edges. Measured on every eighth triple of rows (NOISE_ROW_STEP), which tells it as well.
    """
    height, width = ink_gray.shape
    if height < 3 or width < 3:
        return 0.0
    top, middle, bottom = (ink_gray[start:height - 2 + start:NOISE_ROW_STEP] for start in range(3))
    across_rows = top.astype(np.int16) - 2 * middle.astype(np.int16) + bottom
    magnitudes = np.abs(across_rows[:, :-2] - 2 * across_rows[:, 1:-1] + across_rows[:, 2:]).ravel()
    median = histogram_quantile(np.bincount(magnitudes), 0.5)
    sigma = 1.4826 * median / 6  # 1.4826: a normal distribution's sigma from its median deviation
    return sigma / max(median_level(middle), 1) * 255


def median_level(image: np.ndarray) -> int:
    """The median of a uint8 image, from its histogram (np.median sorts: ten times slower)."""
    return histogram_quantile(cv2.calcHist([image], [0], None, [256], [0, 256]).ravel(), 0.5)


def histogram_quantile(histogram: np.ndarray, share: float) -> int:
    """The least value (bin) that `share` of what a histogram counts lies at or under."""
    return int(np.searchsorted(np.cumsum(histogram), share * histogram.sum()))


def paper_level(ink_gray: np.ndarray, thick_strokes: bool = True) -> np.ndarray:
    """The paper's brightness around each pixel of a gray image of dark ink, at 1/4 size (BACKGROUND_SCALE):
    a morphological closing over a window wider than any pen stroke, which fills the strokes but keeps the
    sharp edge of a shadow. The window is PAPER_WINDOW_SHARE of the shorter side, and, if `thick_strokes` may be
    there (a marker's, in dark ink), WIDE_PAPER_WINDOW_SHARE around marks with strokes at least as wide as the
    narrower window (thick_marks)."""
    small = shrink(ink_gray, BACKGROUND_SCALE)
    window = paper_window_px(small)
    paper = closed(small, window)
    if not thick_strokes:
        return paper
    wide_window = paper_window_px(small, WIDE_PAPER_WINDOW_SHARE)
    wide = closed(small, wide_window)
    thick = thick_marks(small, wide, THICK_STROKE_SHARE * window)
    if thick is not None:
        cv2.copyTo(wide, cv2.dilate(thick, rect(wide_window, wide_window)), paper)
    return paper


def closed(small: np.ndarray, window_px: int) -> np.ndarray:
    """A morphological closing of `small` over a square `window_px` wide: dark marks narrower than it filled."""
    return cv2.morphologyEx(small, cv2.MORPH_CLOSE, rect(window_px, window_px), borderType=cv2.BORDER_REPLICATE)


def thick_marks(small: np.ndarray, paper: np.ndarray, min_stroke_px: float) -> np.ndarray | None:
    """uint8 mask (255) of the marks of a gray image of dark ink `small` that hold a stroke `min_stroke_px` wide
    or wider of ink whose contrast against the `paper` (the same size) is at least THICK_INK_SHARE of the
    greatest in view, and lie clear of the image's border; None where there is none."""
    contrast = cv2.divide(cv2.subtract(paper, small), paper, scale=255)
    level = max(MIN_CONTRAST, THICK_INK_SHARE * cv2.minMaxLoc(contrast)[1])
    ink = cv2.compare(contrast, level, cv2.CMP_GE)
    # A stroke that wide holds a square whose side is 0.6 of its width (a little under 1/√2, which the distance
    # transform's rounding needs) whichever way it runs: most frames hold none, and need no more.
    side = max(1, int(0.6 * min_stroke_px))
    if not cv2.hasNonZero(cv2.erode(ink, rect(side, side))):
        return None
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    at_border = touches_frame(stats[:, :4], ink.shape)
    at_border[0] = True  # the paper
    clear = np.where(at_border[labels], 0, 255).astype(np.uint8)
    # A stroke's width is twice the greatest distance from its ink to what is not ink.
    cores = cv2.distanceTransform(clear, cv2.DIST_L2, 3) >= min_stroke_px / 2
    if not cores.any():
        return None
    thick = np.zeros(count, bool)
    thick[labels[cores]] = True
    return np.where(thick[labels], 255, 0).astype(np.uint8)


def contrast_to_paper(ink_gray: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """How much darker each pixel of `ink_gray` is than the `paper` (paper_level) around it, relative to the
    paper: uint8, 255 = black ink. Dividing by the paper cancels uneven light, shadows, vignetting and tinted
    paper."""
    height, width = ink_gray.shape
    paper = cv2.resize(cv2.blur(paper, (3, 3)), (width, height), interpolation=cv2.INTER_LINEAR)
    # Pixels brighter than the paper estimate saturate to 0 in the subtraction: no contrast, as it should be.
    return cv2.divide(cv2.subtract(paper, ink_gray), paper, scale=255)


def shadow_steps(ink_gray: np.ndarray, paper: np.ndarray) -> ShadowSteps | None:
    """The sharp steps in the light of the `paper` (paper_level of `ink_gray`); None where there is none."""
    darker, brighter = cv2.erode(paper, SHADOW_STEP_WINDOW), cv2.dilate(paper, SHADOW_STEP_WINDOW)
    near = cv2.compare(cv2.subtract(brighter, darker), cv2.multiply(brighter, SHADOW_STEP), cv2.CMP_GT)
    if not cv2.hasNonZero(near):
        return None
    # The shadowed side: nearer the darker level within 4 pixels than the brighter one (twice the level against
    # their sum, in 16 bits).
    levels_around = cv2.add(cv2.erode(paper, SHADOW_STRIP_WINDOW), cv2.dilate(paper, SHADOW_STRIP_WINDOW),
                            dtype=cv2.CV_16U)
    shadowed_side = cv2.compare(cv2.add(paper, paper, dtype=cv2.CV_16U), levels_around, cv2.CMP_LT)
    strip = cv2.bitwise_and(cv2.dilate(near, SHADOW_STRIP_WINDOW), shadowed_side)
    return ShadowSteps(ink_gray, paper, near, strip)


class EdgeCut(NamedTuple):
    """The ink of a frame once the line along a hard shadow's edge is cut out (cut_at_shadow_edges)."""

    cleaned: np.ndarray       # uint8 ink mask without the line
    count: int                # labels, the background included
    labels: np.ndarray        # int32 component labels of `cleaned`
    boxes: np.ndarray         # int32 (count, 4) their (x, y, w, h)
    edge_remnants: np.ndarray  # bool (count,): what is left of a mark too long to be a digit and is no digit


def cut_at_shadow_edges(cleaned: np.ndarray, labels: np.ndarray, boxes: np.ndarray, floor: int,
                        steps: ShadowSteps) -> EdgeCut | None:
    """Cut the line of shadowed paper along a hard shadow's edge out of the long marks it joined (see
    SHADOW_STEP), the ink mask `cleaned` labelled `labels` with `boxes`; None where nothing is cut."""
    height, width = cleaned.shape
    too_long = too_long_for_a_digit(boxes, cleaned.shape)
    long_marks = too_long | (boxes[:, 3] > LONG_MARK_SHARE * height) | (boxes[:, 2] > LONG_MARK_SHARE * width)
    too_long[0] = long_marks[0] = False  # the background
    if not long_marks.any():
        return None
    # Against the shadowed side's level the shadowed paper along the edge is no ink, and a stroke still is.
    against_shadow = contrast_to_paper(steps.ink_gray, steps.shadowed_paper)
    in_long_mark = relabel(np.where(long_marks, 255, 0).astype(np.uint8), labels)
    edge_line = cv2.bitwise_and(cv2.bitwise_and(in_long_mark, steps.near), cv2.compare(against_shadow, floor,
                                                                                        cv2.CMP_LT))
    if not cv2.hasNonZero(edge_line):
        return None
    in_edge_mark = relabel(np.where(too_long, 255, 0).astype(np.uint8), labels)
    cleaned = cv2.bitwise_and(cleaned, cv2.bitwise_not(edge_line))
    count, labels = labelled_components(cleaned)
    area, from_edge_mark, in_strip = pixels_per_label(labels, count, cleaned, (in_edge_mark, steps.shadowed_strip))
    crossed = (in_strip >= STRADDLE_SHARE * area) & (area - in_strip >= STRADDLE_SHARE * area)
    return EdgeCut(cleaned, count, labels, component_boxes(cleaned, labels, count), (from_edge_mark > 0) & ~crossed)


def threshold_ink(contrast: np.ndarray, max_level: float, paper: np.ndarray | None = None,
                  steps: ShadowSteps | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ink components from the contrast image, by hysteresis, without ruled or grid lines.

    Every mark above the ink floor is a candidate: the frame's floor, or where glare lifts the `paper`
    (paper_level, if given) the floor glare_floors gives. Lines are removed from the candidates (where they
    are most complete), then a mark is kept whole if some of it passes Otsu's level computed among the
    candidate pixels (at most `max_level`, and in a faint frame FAINT_LEVEL_SHARE of its darkest mark), or
    where glare lifts the paper the level glare_levels gives. Faint edges of real strokes survive; faint
    marks alone (paper texture, show-through) do not.
    Specks, solid blobs, the leftovers of lines and marks on the texture around a sheet (texture_mask) are
    dropped too. Where the paper's light has sharp `steps` (shadow_steps), the line along a hard shadow's edge
    is cut out of the long marks it joined, and what is left of them that no digit crosses is dropped
    (cut_at_shadow_edges). Pieces of a digit that a smear faded in between are joined (join_faint_bridges).

    Returns the component labels int32 (h, w), which components are kept (uint8 per label, 255 =
    kept) and their rows of (x, y, w, h, area) as cv2.connectedComponentsWithStats gives them (dropped
    components have area 0).
    """
    peak = cv2.minMaxLoc(contrast)[1] if contrast.size else 0.0  # the frame's darkest mark
    floor = ink_floor(contrast, peak)
    lit = lit_paper(paper) if paper is not None else None
    glare = lit is not None and cv2.hasNonZero(lit)
    if glare:
        nearby = darkest_nearby(contrast, lit.shape)
        floors = glare_floors(nearby, lit, floor, paper_mottle(contrast, floor))
        weak = cv2.compare(contrast, enlarge(floors, BACKGROUND_SCALE, contrast.shape[::-1]), cv2.CMP_GE)
    else:
        _, weak = cv2.threshold(contrast, floor - 1, 255, cv2.THRESH_BINARY)
    if not cv2.hasNonZero(weak):
        return no_ink(weak.shape)  # blank paper: no lines to look for
    rulings, removable = line_pixels(contrast, weak)
    texture = texture_mask(weak, removable)
    # Otsu's level and the ink share are statistics: every fourth row tells them as well, and whole rows
    # are read faster than every other pixel.
    sample = contrast[::4]
    ink = weak[::4] > 0
    paper_px = sample.size
    if texture is not None:
        on_paper = texture[::4] == 0
        ink &= on_paper
        paper_px = int(np.count_nonzero(on_paper))
    # The fainter ink under glare counts too: among the ink above the frame's floor alone, Otsu's level read 14
    # fewer digits on the tune seeds under a glare spot, with as many false ones.
    candidates = sample[ink]
    written_px = np.count_nonzero(ink & (removable[::4] == 0))
    if (candidates.size == 0 or written_px > MAX_INK_FRACTION * paper_px
            or paper_px < MIN_PAPER_SHARE * sample.size):
        # Handwriting covers a small part of a page; a page this "inky" is noise, texture or no paper at all,
        # and so is a frame of texture with a little paper between. Ruled and grid lines are not counted: a
        # close-up of densely squared paper is a page (on the slanted-rules tune seeds 60-159 one frame of
        # thick grid lines read none of its 7 digits, now 5; every tune scene else the same).
        return no_ink(weak.shape)
    otsu, _ = cv2.threshold(candidates.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if floor < MIN_CONTRAST:  # a faint frame
        max_level = max(floor, min(max_level, FAINT_LEVEL_SHARE * peak))
    level = float(np.clip(otsu, floor, max_level))
    cleaned = remove_lines(weak, removable, rulings.horizontal, rulings.vertical)
    count, labels = labelled_components(cleaned)
    boxes = component_boxes(cleaned, labels, count)
    edge_remnants = None
    cut = cut_at_shadow_edges(cleaned, labels, boxes, floor, steps) if steps is not None else None
    if cut is not None:
        cleaned, count, labels, boxes, edge_remnants = cut
    if glare:
        strong = cv2.compare(contrast, glare_levels(nearby, lit, floors, level, contrast.shape), cv2.CMP_GT)
    else:
        strong = cv2.compare(contrast, level, cv2.CMP_GT)
    interior = cv2.erode(cleaned, None)
    has_lines = cv2.hasNonZero(rulings.mask)
    masks = (strong, interior) + ((rulings.mask,) if has_lines else ()) + ((texture,) if texture is not None else ())
    area, strong_px, interior_px, *more_px = pixels_per_label(labels, count, cleaned, masks)
    outline_px = area - interior_px
    stats = np.column_stack([boxes, area]).astype(np.int32)
    keep = (strong_px > 0) & (area >= MIN_COMPONENT_AREA_PX) & ~solid(stats, outline_px)
    if edge_remnants is not None:
        keep &= ~edge_remnants
    if has_lines:
        keep &= ~line_remnants(stats, more_px[0])
    if texture is not None:
        keep &= more_px[-1] <= 0.5 * area  # a mark lying mostly on texture is grain or mottle, not writing
    keep[0] = False
    stats[~keep, cv2.CC_STAT_AREA] = 0
    excluded = ([rulings.mask] if has_lines else []) + ([texture] if texture is not None else [])
    join_faint_bridges(contrast, labels, stats, floor, excluded, steps)
    return labels, np.where(stats[:, cv2.CC_STAT_AREA] > 0, 255, 0).astype(np.uint8), stats


def darkest_nearby(contrast: np.ndarray, small_shape: tuple[int, int]) -> np.ndarray:
    """uint8 at 1/4 size (`small_shape`): the darkest ink (greatest contrast) in the square around each 4×4
    block whose side is GLARE_WINDOW of the frame's shorter side."""
    small_height, small_width = small_shape
    step = BACKGROUND_SCALE
    darkest = cv2.dilate(contrast, rect(step, step), anchor=(0, 0))[:small_height * step:step, :small_width * step:step]
    window = max(3, int(GLARE_WINDOW * min(darkest.shape))) | 1
    return cv2.dilate(darkest, rect(window, window))


def glare_floors(nearby: np.ndarray, lit: np.ndarray, floor: int, mottle: int) -> np.ndarray:
    """uint8 at 1/4 size: the least contrast that may be ink, the frame's `floor`, or where the paper is `lit`
    (255 = lit) the floor ink_floor gives a faint frame (to the nearest level), its darkest mark the darkest
    ink `nearby` (darkest_nearby), with the paper's `mottle` (paper_mottle, measured under the frame's floor,
    faint ink and all: a bound on the safe side); never more than `floor`."""
    least = min(max(PAPER_NOISE_MARGIN * mottle, MIN_FAINT_CONTRAST), floor)
    local = np.clip(cv2.convertScaleAbs(nearby, alpha=INK_PEAK_SHARE), least, floor)
    return np.where(lit > 0, local, np.uint8(floor))


def glare_levels(nearby: np.ndarray, lit: np.ndarray, floors: np.ndarray, level: float,
                 shape: tuple[int, int]) -> np.ndarray:
    """uint8 (h, w) of `shape`: the level a mark must pass somewhere to be kept, Otsu's `level`, or where the
    paper is `lit` (uint8 at 1/4 size, 255 = lit) GLARE_LEVEL_SHARE of the darkest ink `nearby`
    (darkest_nearby), but never less than the `floors` (glare_floors)."""
    whole_level = int(level)  # contrast is whole: over `level` is over its whole part
    levels = cv2.min(cv2.max(cv2.convertScaleAbs(nearby, alpha=GLARE_LEVEL_SHARE), floors), whole_level)
    levels[lit == 0] = whole_level
    return enlarge(levels, BACKGROUND_SCALE, shape[::-1])


def lit_paper(paper: np.ndarray) -> np.ndarray:
    """uint8 mask of a paper_level image, 255 where the paper is GLARE_PAPER_MARGIN brighter than most of it
    (its median) or more."""
    median = median_level(paper)
    # numpy, not cv2.compare: OpenCV takes a 1×1 image (a frame under 8 px) for a scalar.
    return np.where(paper >= median + GLARE_PAPER_MARGIN, 255, 0).astype(np.uint8)


def ink_floor(contrast: np.ndarray, peak: float) -> int:
    """The least contrast that may be ink in this frame: MIN_CONTRAST, or less in a frame whose darkest mark
    (`peak`, the greatest contrast) is faint (INK_PEAK_SHARE of it, but at least PAPER_NOISE_MARGIN times the
    mottle of the paper, which is what is fainter than that)."""
    if contrast.size == 0:
        return MIN_CONTRAST
    if INK_PEAK_SHARE * peak >= MIN_CONTRAST:
        return MIN_CONTRAST  # most frames: the paper's mottle need not be measured
    mottle = paper_mottle(contrast, INK_PEAK_SHARE * peak)
    return int(np.clip(max(INK_PEAK_SHARE * peak, PAPER_NOISE_MARGIN * mottle), MIN_FAINT_CONTRAST, MIN_CONTRAST))


def paper_mottle(contrast: np.ndarray, below: float) -> int:
    """The paper's mottle: the PAPER_SHARE quantile of the contrasts under `below` (what is fainter than ink)."""
    sample = contrast[::4]  # every fourth row tells it as well
    histogram = cv2.calcHist([sample], [0], None, [256], [0, 256]).ravel()[:max(1, int(below))]
    return histogram_quantile(histogram, PAPER_SHARE)


def no_ink(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """threshold_ink's answer for a frame with no writing: no component but the background."""
    return np.zeros(shape, np.int32), np.zeros(1, np.uint8), np.zeros((1, 5), np.int32)


def texture_mask(weak: np.ndarray, lines: np.ndarray | None = None) -> np.ndarray | None:
    """uint8 (h, w) of the `weak` ink mask's size, 255 where the frame shows texture rather than paper: the
    regions of at least TEXTURE_MIN_SHARE of the frame where ink covers more than TEXTURE_INK_FRACTION of the
    TEXTURE_WINDOW_PX square around each point, holding at least TEXTURE_MIN_MARKS marks (connected runs of
    4×4 blocks more than half ink) or a grain line (grain_lines, measured without the ruled and grid `lines`,
    uint8 of the mask's size). None where there is no such region (most frames)."""
    height, width = weak.shape
    coverage = shrink(weak, BACKGROUND_SCALE)  # the share of ink in each 4×4 block, 255 = all ink
    window = max(1, TEXTURE_WINDOW_PX // BACKGROUND_SCALE)
    dense = cv2.compare(cv2.blur(coverage, (window, window)), TEXTURE_INK_FRACTION * 255, cv2.CMP_GT)
    if not cv2.hasNonZero(dense):
        return None
    _, regions, stats, _ = cv2.connectedComponentsWithStats(dense, connectivity=8)
    large = stats[:, cv2.CC_STAT_AREA] >= TEXTURE_MIN_SHARE * dense.size
    large[0] = False
    if not large.any():
        return None
    # A close-up of a number in a thick marker is dense over a wide region too, but holds a few marks only,
    # none of them a long grain line.
    inky = cv2.compare(coverage, TEXTURE_MARK_COVERAGE, cv2.CMP_GT)
    _, marks = cv2.connectedComponents(inky, connectivity=8)
    # Ruled lines cross bold digits and would join them into marks as long as grain: grain is told without them.
    unruled = inky if lines is None else cv2.compare(shrink(cv2.subtract(weak, lines), BACKGROUND_SCALE),
                                                     TEXTURE_MARK_COVERAGE, cv2.CMP_GT)
    grain = grain_lines(unruled)
    for region in np.flatnonzero(large):
        inside = regions == region
        large[region] = (len(np.unique(marks[inside & (marks > 0)])) >= TEXTURE_MIN_MARKS
                         or cv2.hasNonZero(grain[inside]))
    if not large.any():
        return None
    return enlarge(relabel(np.where(large, 255, 0).astype(np.uint8), regions), BACKGROUND_SCALE, (width, height))


def grain_lines(inky: np.ndarray) -> np.ndarray:
    """uint8 mask of the marks in a mask of inky 4×4 blocks that are grain lines: TEXTURE_GRAIN_ELONGATION
    long for their thickness."""
    count, marks, stats, _ = cv2.connectedComponentsWithStats(inky, connectivity=8)
    wide, tall, area = (stats[:, index].astype(np.float64)
                        for index in (cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT, cv2.CC_STAT_AREA))
    long_marks = wide * wide + tall * tall >= TEXTURE_GRAIN_ELONGATION * area
    long_marks[0] = False
    return np.where(long_marks[marks], 255, 0).astype(np.uint8)


def solid(stats: np.ndarray, outline_px: np.ndarray) -> np.ndarray:
    """Boolean per component: its mean thickness (2 × area / outline) is too large for a pen stroke, so it
    is a blob (a shadow corner, a stain, a filled shape) that could glue itself to a digit."""
    thickness_px = 2.0 * stats[:, cv2.CC_STAT_AREA] / np.maximum(outline_px, 1)
    size_px = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    return thickness_px > MAX_STROKE_RATIO * size_px


def dark_ink(gray: np.ndarray, polarity: str) -> bool:
    """Whether the ink is darker than the paper, for a polarity of "dark", "light" or "auto"."""
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {', '.join(POLARITIES)}; got {polarity!r}")
    return ink_is_dark(gray) if polarity == "auto" else polarity == "dark"


def join_faint_bridges(contrast: np.ndarray, labels: np.ndarray, stats: np.ndarray, floor: int,
                       excluded: list[np.ndarray], steps: ShadowSteps | None) -> None:
    """Join the kept components of `labels` that are pieces of one smeared digit, in place. Two pieces are
    joined where ink from FAINT_BRIDGE_SHARE of the `floor` up (not under the `excluded` masks, nor along
    the shadow `steps`) connects them into one mark that is digit-shaped (at most MAX_BRIDGED_ASPECT as wide
    as tall), at most MAX_BRIDGED_GROWTH times as long as the larger of the two, and holds other ink
    MIN_BRIDGE_SHARE of its pieces' own or more: every kept component in the mark, and the ink under the
    floor between them, become the first piece's component, and `stats` (as threshold_ink returns them,
    dropped components at area 0) follow."""
    kept = np.flatnonzero(stats[:, cv2.CC_STAT_AREA])
    pairs = np.argwhere(np.triu(may_be_pieces(stats[kept, :4])))
    if not len(pairs):
        return  # most frames: no two marks together are shaped like one digit
    # No fainter than the paper's own mottle allows, as ink_floor (every sixteenth row tells it as well).
    level = max(FAINT_BRIDGE_SHARE * floor, PAPER_NOISE_MARGIN * paper_mottle(contrast[::4], floor),
                MIN_FAINT_CONTRAST)
    if level >= floor:
        return
    excluded = excluded + ([steps.near] if steps is not None else [])
    for first, second in kept[pairs].tolist():
        if stats[first, cv2.CC_STAT_AREA] and stats[second, cv2.CC_STAT_AREA]:  # neither joined to another
            join_pair(contrast, labels, stats, (first, second), level, excluded)


def may_be_pieces(boxes: np.ndarray) -> np.ndarray:
    """Boolean (K, K): which two of the (x, y, w, h) `boxes` could be pieces of one mark that
    join_faint_bridges joins: their joint box is digit-shaped and within the growth allowed."""
    x, y, w, h = boxes.T
    joined_width = np.maximum.outer(x + w, x + w) - np.minimum.outer(x, x)
    joined_height = np.maximum.outer(y + h, y + h) - np.minimum.outer(y, y)
    longest = np.maximum(w, h)
    pairs = joined_width <= MAX_BRIDGED_ASPECT * joined_height
    pairs &= np.maximum(joined_width, joined_height) <= MAX_BRIDGED_GROWTH * np.maximum.outer(longest, longest)
    np.fill_diagonal(pairs, False)
    return pairs


def join_pair(contrast: np.ndarray, labels: np.ndarray, stats: np.ndarray, pair: tuple[int, int], level: float,
              excluded: list[np.ndarray]) -> None:
    """join_faint_bridges for two kept components `pair` of `labels`, the faint ink from `level` up: they and
    every other kept component in their mark are joined, or none is."""
    boxes = stats[list(pair), :4]
    low, high = boxes[:, :2].min(axis=0), (boxes[:, :2] + boxes[:, 2:]).max(axis=0)
    pair_px = int(stats[list(pair), cv2.CC_STAT_AREA].sum())
    # Most pairs tried are two digits side by side or one above the other, with only their halos between them.
    between = cv2.inRange(contrast[low[1]:high[1], low[0]:high[0]], int(np.ceil(level)), 255)
    if cv2.countNonZero(between) < (1 + MIN_BRIDGE_SHARE) * pair_px:
        return
    reach = int(MAX_BRIDGED_GROWTH * boxes[:, 2:].max())
    # A mark holding both and no longer than `reach` lies in this window; one reaching its side (inside the
    # frame) may be longer.
    height, width = labels.shape
    left, top = np.maximum(0, high - reach).tolist()
    right, bottom = np.minimum((width, height), low + reach).tolist()
    _, bridged = cv2.threshold(contrast[top:bottom, left:right], np.ceil(level) - 1, 255, cv2.THRESH_BINARY)
    for mask in excluded:
        bridged = cv2.subtract(bridged, mask[top:bottom, left:right])
    _, marks = labelled_components(bridged)
    window = labels[top:bottom, left:right]
    mark = mark_of(window, pair[0], stats[pair[0], :3] - (left, top, 0), marks)
    if not mark or mark_of(window, pair[1], stats[pair[1], :3] - (left, top, 0), marks) != mark:
        return
    in_mark = (marks == mark).view(np.uint8)
    x, y, w, h = cv2.boundingRect(in_mark)
    sides = (x == 0 < left, y == 0 < top, left + x + w == right < width, top + y + h == bottom < height)
    if any(sides) or max(w, h) > reach or w > MAX_BRIDGED_ASPECT * h:
        return
    inside = np.unique(window[in_mark.view(bool)])
    pieces = inside[stats[inside, cv2.CC_STAT_AREA] > 0]  # the kept components in the mark (0 is paper)
    pieces_px = int(stats[pieces, cv2.CC_STAT_AREA].sum())
    if cv2.countNonZero(in_mark) - pieces_px < MIN_BRIDGE_SHARE * pieces_px:
        return  # a thin halo where two digits nearly touch, not a smeared stroke
    faint = in_mark.view(bool) & (window == 0)
    window[faint] = pair[0]
    joined = np.vstack([stats[pieces, :4], [(left + x, top + y, w, h)]])
    for piece in pieces[pieces != pair[0]].tolist():  # whole, also where a mask cut it out of the mark
        px, py, pw, ph = stats[piece, :4].tolist()
        piece_window = labels[py:py + ph, px:px + pw]
        piece_window[piece_window == piece] = pair[0]
    stats[pieces, cv2.CC_STAT_AREA] = 0
    stats[pair[0]] = (*union_box(joined), pieces_px + int(np.count_nonzero(faint)))


def mark_of(labels: np.ndarray, label: int, corner: np.ndarray, marks: np.ndarray) -> int:
    """The label in `marks` of component `label` of `labels`, read at its first pixel on the top row of its
    box, whose top left corner and width are `corner` (x, y, w); 0 where that row holds none of it (a piece
    that absorbed others has their dropped specks there) or the pixel is under a mask left out of `marks`."""
    x, y, w = corner.tolist()
    row = labels[y, x:x + w] == label
    column = int(np.argmax(row))
    return int(marks[y, x + column]) if row[column] else 0


def components(stats: np.ndarray, frame_height: int) -> tuple[np.ndarray, np.ndarray]:
    """The components threshold_ink kept, at most MAX_COMPONENTS of the largest (on noisy frames only they
    can be digits), less those too tall to be a digit or a piece of one (see plausible): the edge of a sheet
    or of a hard shadow, which would merge with the digits it passes and take them with it (under a hard
    shadow across the frame the tune scenes read 8,282 of 9,722 digits with such edges, 8,365 without; every
    other tune scene the same). Returns ids (K,) and boxes int32 (K, 4) as (x, y, w, h).
    """
    too_tall = stats[:, cv2.CC_STAT_HEIGHT] > MAX_FRAME_FRACTION * frame_height
    areas = np.where(too_tall, 0, stats[:, cv2.CC_STAT_AREA])
    keep = np.flatnonzero(areas)
    if len(keep) > MAX_COMPONENTS:
        keep = np.sort(keep[np.argsort(areas[keep])[-MAX_COMPONENTS:]])
    return keep, stats[keep, :4].astype(np.int32)


def merge_fragments(boxes: np.ndarray) -> tuple[list[list[int]], np.ndarray]:
    """Group component indices that form one digit: boxes that overlap horizontally and nearly touch vertically.

    This re-joins a 5 broken at the bar or with its flag written apart, a 7 with a detached bar, an open-top 4 or
    a 4 cut by a ruled line, while side-by-side neighbours, which overlap little horizontally, stay apart. Merging
    repeats on the merged boxes until nothing changes (a digit in three pieces); a chain of digits that this glues
    together is taken apart again (unchained). Returns the groups and their boxes int32 (G, 4) as (x, y, w, h).
    """
    groups = [[index] for index in range(len(boxes))]
    spans = boxes.astype(np.int32).reshape(-1, 4)
    while len(spans) > 1:
        owners = connected_sets(fragment_pairs(spans))
        if len(owners) == len(spans):
            break
        groups = [sum((groups[member] for member in owner), []) for owner in owners]
        spans = np.array([union_box(spans[owner]) for owner in owners], np.int32)
    return unchained(groups, spans, boxes)


def unchained(groups: list[list[int]], spans: np.ndarray, boxes: np.ndarray) -> tuple[list[list[int]], np.ndarray]:
    """merge_fragments' `groups` and their `spans`, each chain among them (a group over MAX_GROUP_GROWTH
    times as tall as the tallest of its component `boxes`, or as wide as the widest) taken apart into its
    components."""
    parts, part_spans = [], []
    for group, span in zip(groups, spans):
        if len(group) > 1 and (span[2:] > MAX_GROUP_GROWTH * boxes[group, 2:].max(axis=0)).any():
            parts += [[member] for member in group]
            part_spans += [boxes[member] for member in group]
        else:
            parts.append(group)
            part_spans.append(span)
    return parts, np.array(part_spans, np.int32).reshape(-1, 4)


def fragment_pairs(boxes: np.ndarray) -> np.ndarray:
    """Boolean (K, K) matrix: True where two (x, y, w, h) boxes are parts of one digit.

    Either one piece sits above the other (a 7's bar over its stem; a 5's flag written apart over the right of
    its body, detached_flags), or a short piece hangs beside a taller one and nearly touches it (the two strokes
    of an open-top 4). Neighbouring digits are about as tall as each other, so they stay apart.
    """
    x, y, w, h = boxes.T
    right, bottom = x + w, y + h
    taller, shorter = np.maximum.outer(h, h), np.minimum.outer(h, h)
    overlap_x = np.minimum.outer(right, right) - np.maximum.outer(x, x)
    overlap_y = np.minimum.outer(bottom, bottom) - np.maximum.outer(y, y)
    joined_width = np.maximum.outer(right, right) - np.minimum.outer(x, x)
    joined_height = np.maximum.outer(bottom, bottom) - np.minimum.outer(y, y)
    stacked = (overlap_x >= 0.5 * np.minimum.outer(w, w)) & (overlap_x >= 0.3 * np.maximum.outer(w, w))
    stacked &= -overlap_y <= 0.2 * taller
    beside = (-overlap_x <= 0.1 * taller) & (overlap_y >= 0.4 * shorter) & (shorter <= 0.7 * taller)
    # ... and that short piece hangs from the top: a short neighbour on the baseline is another digit ("10").
    bottom_gap = np.abs(np.subtract.outer(bottom, bottom))
    beside &= (joined_width <= joined_height) & (bottom_gap >= 0.25 * taller)
    beside |= broken_off(boxes, overlap_x, overlap_y, joined_width <= 1.25 * joined_height)
    # "=" and similar flat pairs stay apart so the filter can drop each stroke.
    stacked &= joined_height >= 0.6 * joined_width
    np.fill_diagonal(stacked, False)
    # A piece stacked with another mark (a bar over its own stem) is no flag of a third.
    unbarred = ~stacked.any(axis=1)[:, None]
    beside |= detached_flags(boxes, overlap_x, unbarred & (joined_width <= FLAG_MAX_JOINED_ASPECT * joined_height))
    pairs = stacked | beside
    # Two digits stacked in a column overlap too; a joined box much taller than wide means they are two.
    pairs &= joined_height <= 2.2 * np.maximum(joined_width, taller)
    # A speck beside a digit is dirt, not a piece of it.
    size = np.maximum(w, h)
    pairs &= np.minimum.outer(size, size) >= 0.2 * np.maximum.outer(size, size)
    np.fill_diagonal(pairs, False)
    return pairs


def broken_off(boxes: np.ndarray, overlap_x: np.ndarray, overlap_y: np.ndarray, digit_shaped: np.ndarray):
    """Boolean (K, K), symmetric: a short, narrower piece within a taller mark's height and nearly touching
    its (x, y, w, h) box is a loop, tick or stroke broken off it, joined to its nearest such mark only (a
    piece between two digits must not glue them). "Nearly touching" is within a fifth of the taller mark's
    height, the widest gap of the ticks in plain scenes 0-199; the joined box may be 1.25 times as wide as
    tall, as MNIST's widest digits are."""
    widths, heights = boxes[:, 2], boxes[:, 3]
    short, tall = heights[:, None], heights[None, :]
    piece_of = (short <= MAX_PIECE_HEIGHT * tall) & (overlap_y >= 0.9 * short) & (-overlap_x <= 0.2 * tall)
    piece_of &= (widths[:, None] <= widths[None, :]) & digit_shaped
    nearest = np.where(piece_of, overlap_x, np.iinfo(np.int32).min).argmax(axis=1)
    piece_of &= np.arange(len(boxes))[None, :] == nearest[:, None]
    return piece_of | piece_of.T


def detached_flags(boxes: np.ndarray, overlap_x: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Boolean (K, K), symmetric: a short flat piece whose top lies above a wider mark's top and whose bottom lies
    near it, starting over the mark right of its left edge and running out past its right edge, is the flag of a 5
    written apart from its body. It joins the mark it overlaps most only (a flag between two digits must not glue
    them), and only where `allowed` (K, K) says a flag (row) may join a mark (column)."""
    x, y, w, h = boxes.T
    flags = np.zeros(allowed.shape, bool)
    flat = np.flatnonzero(w >= FLAG_MIN_FLATNESS * h)  # few of a frame's marks: only their rows are worked out
    if not len(flat):
        return flags
    right, bottom = x + w, y + h
    tall = h[None, :]
    flag = (h[flat, None] <= FLAG_MAX_HEIGHT * tall) & (w[None, :] >= FLAG_MIN_BODY_WIDTH * tall)
    flag &= (x[flat, None] > x[None, :]) & (x[flat, None] <= right[None, :] + FLAG_MAX_SHIFT * tall)
    flag &= right[flat, None] > right[None, :]
    drop = y[None, :] - bottom[flat, None]  # from the flag's bottom down to the mark's top
    flag &= (y[flat, None] < y[None, :]) & (np.abs(drop) <= FLAG_MAX_GAP * tall) & allowed[flat]
    most = np.where(flag, overlap_x[flat], np.iinfo(np.int32).min).argmax(axis=1)
    flags[flat] = flag & (np.arange(len(boxes))[None, :] == most[:, None])
    return flags | flags.T


def connected_sets(pairs: np.ndarray) -> list[list[int]]:
    """The connected sets of an undirected adjacency matrix, each sorted, in order of their first member."""
    parent = list(range(len(pairs)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for first, second in zip(*np.nonzero(np.triu(pairs))):
        parent[root(int(first))] = root(int(second))
    sets: dict[int, list[int]] = {}
    for index in range(len(pairs)):
        sets.setdefault(root(index), []).append(index)
    return list(sets.values())


def union_box(boxes: np.ndarray) -> list[int]:
    """The (x, y, w, h) box around all rows of `boxes` (K, 4)."""
    x, y = boxes[:, 0].min(), boxes[:, 1].min()
    return [x, y, (boxes[:, 0] + boxes[:, 2]).max() - x, (boxes[:, 1] + boxes[:, 3]).max() - y]


def plausible(boxes: np.ndarray, frame_shape: tuple[int, int]) -> np.ndarray:
    """Boolean (N,): which merged (x, y, w, h) boxes could physically be a digit.

    Only what cannot be one is dropped: specks, marks nearly as tall as the frame and long flat strokes
    (filled blobs went already, in threshold_ink). Whether a mark is a digit, and which, is the classifier's
    answer: a thin-pen digit covers little of its box and a marker digit most of it, a small digit may sit
    beside large ones, a digit may be cut by the frame edge.
    """
    return (boxes[:, 3] >= MIN_DIGIT_HEIGHT_PX) & ~too_long_for_a_digit(boxes, frame_shape)


def too_long_for_a_digit(boxes: np.ndarray, frame_shape: tuple[int, int]) -> np.ndarray:
    """Boolean (N,): which (x, y, w, h) boxes are nearly as tall as the frame, or long flat strokes."""
    height, _ = frame_shape
    _, _, w, h = boxes.T
    return (h > MAX_FRAME_FRACTION * height) | (w > MAX_ASPECT * h)


def touches_frame(boxes: np.ndarray, frame_shape: tuple[int, int]) -> np.ndarray:
    """Boolean (N,): which (x, y, w, h) boxes reach the frame's border, so may be cut by it."""
    height, width = frame_shape
    x, y, w, h = boxes.T
    return (x <= 0) | (y <= 0) | (x + w >= width) | (y + h >= height)


def relative_heights(heights: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """float (N,): each height over the median height of the `whole` (uncut) candidates; all 1 without one."""
    if not whole.any():
        return np.ones(len(heights))
    return heights / float(np.median(heights[whole]))


def cut_across(boxes: np.ndarray, frame_shape: tuple[int, int]) -> np.ndarray:
    """Boolean (N,): which (x, y, w, h) boxes reach the frame's top or bottom, which cuts their height."""
    y, h = boxes[:, 1], boxes[:, 3]
    return (y <= 0) | (y + h >= frame_shape[0])


def along_border(labels: np.ndarray, box: np.ndarray, group) -> bool:
    """Whether the components `group` inside (x, y, w, h) `box` run along the frame's border, unbroken, for
    more than MAX_BORDER_RUN times as far as they reach into the frame: a paper edge, a desk or a shadow.
    A digit cut by the frame is about as deep as wide, and crosses the border with its strokes."""
    x, y, w, h = box.tolist()
    height, width = labels.shape
    window = labels[y:y + h, x:x + w]
    edges = ([(window[0], h)] if y == 0 else []) + ([(window[-1], h)] if y + h == height else [])
    edges += ([(window[:, 0], w)] if x == 0 else []) + ([(window[:, -1], w)] if x + w == width else [])
    return any(longest_run(np.isin(edge, group)) > MAX_BORDER_RUN * depth for edge, depth in edges)


def longest_run(flags: np.ndarray) -> int:
    """The length of the longest run of True in a boolean vector."""
    changes = np.flatnonzero(np.diff(np.concatenate(([0], flags.view(np.int8), [0]))))
    return int((changes[1::2] - changes[::2]).max()) if len(changes) else 0


class Surround(NamedTuple):
    """A mark and what lies around it (ring_around)."""

    window: np.ndarray  # the gray image around the mark, RING_OUTER_PX wider than its box on each side
    mask: np.ndarray    # uint8, the mark in the window
    ring: np.ndarray    # uint8, the ring 2-4 px around the mark


def ring_around(gray: np.ndarray, labels: np.ndarray, box: np.ndarray, group) -> Surround:
    """The Surround in `gray` of a mark: its components `group` of `labels`, in `box`."""
    x, y, w, h = box.tolist()
    height, width = gray.shape
    left, top = max(0, x - RING_OUTER_PX), max(0, y - RING_OUTER_PX)
    right, bottom = min(width, x + w + RING_OUTER_PX), min(height, y + h + RING_OUTER_PX)
    # A neighbour reaching into the window is ring, not mark.
    mask = digit_mask(labels, np.array([left, top, right - left, bottom - top]), group)
    ring = cv2.subtract(cv2.dilate(mask, RING_OUTER), cv2.dilate(mask, RING_INNER))
    return Surround(gray[top:bottom, left:right], mask, ring)


def one_sided(around: Surround) -> bool:
    """Whether over EDGE_SHARE of the ring 2-4 px around a mark is about as dark as the mark (dark ink): within
    EDGE_DARKNESS of the way from the mark's mean level to the paper's (the ring's brightest pixel). Such a mark
    is the dark side of an edge, or a digit in the shade beside a shadow's edge (lighter_all_round tells which)."""
    window, mask, ring = around
    ring_px = cv2.countNonZero(ring)
    if ring_px == 0:
        return False
    ink, paper = cv2.mean(window, mask)[0], cv2.minMaxLoc(window, ring)[1]
    dark = cv2.compare(window, ink + EDGE_DARKNESS * (paper - ink), cv2.CMP_LE)
    return cv2.countNonZero(cv2.bitwise_and(dark, ring)) > EDGE_SHARE * ring_px


def lighter_all_round(around: Surround) -> bool:
    """Whether even the darkest tenth of the ring around a mark (see one_sided) is lighter than the mark, by
    SHADED_RING_LEVEL of the way from the mark's mean level to the paper's: shaded paper beside a digit, not the
    dark surface an edge's mark is part of, nor the rest of a stroke around a hollow in it."""
    window, mask, ring = around
    levels = window[ring > 0].astype(np.float32)
    if levels.size == 0:
        return False
    ink, paper = cv2.mean(window, mask)[0], float(levels.max())
    return paper > ink and float(np.percentile(levels, 10)) - ink >= SHADED_RING_LEVEL * (paper - ink)


class DotShapes(NamedTuple):
    """The components of a frame that may be a pen's dot beside some mark: no candidate's, at most twice as
    long as wide, whether threshold_ink kept them or not (it drops a filled dot as a blob, a small one as a
    speck). Per such component: its label, its box's sides, its size (its box's longer side)."""

    label: np.ndarray
    left: np.ndarray
    top: np.ndarray
    right: np.ndarray
    bottom: np.ndarray
    size: np.ndarray

    @classmethod
    def of(cls, stats: np.ndarray, held: list[int]) -> DotShapes:
        """From every component's (x, y, w, h, ...) box by label, and the labels the candidates hold."""
        x, y, w, h = stats[:, :4].T
        size = np.maximum(w, h)
        free = size <= 2 * np.minimum(w, h)
        free[0] = False  # the background
        free[[label for label in held if label < len(free)]] = False  # a group may name a label none has
        label = np.flatnonzero(free)
        return cls(label, x[label], y[label], x[label] + w[label], y[label] + h[label], size[label])


def has_pen_dot(labels: np.ndarray, dots: DotShapes, box: np.ndarray, group) -> bool:
    """Whether a mark (its components `group` of `labels`, in `box`) has a pen's dot right above or below it:
    one of the `dots` at most DOT_MAX_GAP of its height away, over that end of its stroke (the columns of its
    ink in its first or last DOT_END_SHARE of rows, widened by the dot's size), at most DOT_MAX_SIZE of its
    height across and at least DOT_MIN_PEN of its pen's width, and filled (filled_dot)."""
    x, y, w, h = box.tolist()
    mark = digit_mask(labels, box, group)
    pen_px = cv2.countNonZero(mark) / h  # ink per row: about the pen's width along a stroke
    end_rows = max(1, round(DOT_END_SHARE * h))
    centre = (dots.left + dots.right) / 2
    sized = (dots.size >= DOT_MIN_PEN * pen_px) & (dots.size <= DOT_MAX_SIZE * h)
    for gap, end in ((y - dots.bottom, mark[:end_rows]), (dots.top - (y + h), mark[-end_rows:])):
        columns = x + np.flatnonzero(end.any(axis=0))
        if not columns.size:
            continue  # a box joined over a faint bridge may reach past its own ink
        over_end = (centre >= columns[0] - dots.size) & (centre <= columns[-1] + dots.size)
        near = sized & over_end & (gap >= 0) & (gap <= DOT_MAX_GAP * h)
        if any(filled_dot(labels, dots, index) for index in np.flatnonzero(near).tolist()):
            return True
    return False


def filled_dot(labels: np.ndarray, dots: DotShapes, index: int) -> bool:
    """Whether the `index`-th of the `dots` covers at least DOT_MIN_FILL of its box, as a dot does (a disc
    covers 0.79) and a curl or a piece of a line does not."""
    label, left, top, right, bottom = (int(values[index]) for values in dots[:5])
    window = labels[top:bottom, left:right]
    return np.count_nonzero(window == label) >= DOT_MIN_FILL * window.size


def segment(gray: np.ndarray, polarity: str = "dark", max_side_px: int = MAX_SIDE_PX) -> Segmentation:
    """Find the candidate digits in a gray uint8 (H, W) frame; see Segmentation for what comes back.

    A first pass reads a copy at most `max_side_px` long; where its writing is small, the frame is read again
    at the scale that makes it TARGET_DIGIT_PX tall (a page of small digits in a large photo), enlarged where
    the writing is small even at the frame's own resolution (finer_scale).
    """
    first_scale = min(1.0, max_side_px / max(gray.shape))
    small = resized(gray, first_scale)
    return segment_from(gray, small, first_scale, dark_ink(small, polarity))


def segment_each_way(gray: np.ndarray, polarity: str, max_side_px: int = MAX_SIDE_PX) -> list[Segmentation]:
    """segment() once per polarity that polarities_to_read gives for the frame (the guess first), the first
    pass's copy made once for all."""
    first_scale = min(1.0, max_side_px / max(gray.shape))
    small = resized(gray, first_scale)
    return [segment_from(gray, small, first_scale, way == "dark") for way in polarities_to_read(small, polarity)]


def segment_from(gray: np.ndarray, small: np.ndarray, first_scale: float, dark: bool) -> Segmentation:
    """segment() given its first pass's copy `small` of `gray` at `first_scale` and the polarity."""
    found = segment_at(small, dark, first_scale)
    scale = finer_scale(found, gray.shape)
    return found if scale is None else segment_at(resized(gray, scale), dark, scale)


def finer_scale(found: Segmentation, frame_shape: tuple[int, int]) -> float | None:
    """The scale (processed / original) at which the writing of `found` (its writing_px) is TARGET_DIGIT_PX
    tall, within MAX_FINE_SIDE_PX and the frame's own resolution (MAX_ENLARGEMENT times it where the writing is
    under ENLARGE_BELOW_PX in the frame's own pixels); None where the writing is big enough already, or reading
    again would not make it more than 1.25 times as tall, or still under MIN_DIGIT_HEIGHT_PX."""
    if not 0 < found.writing_px < FINE_DIGIT_PX:
        return None
    largest = MAX_ENLARGEMENT if found.writing_px / found.scale < ENLARGE_BELOW_PX else 1.0
    scale = min(found.scale * TARGET_DIGIT_PX / found.writing_px, MAX_FINE_SIDE_PX / max(frame_shape), largest)
    finer_writing_px = found.writing_px * scale / found.scale
    return scale if scale > 1.25 * found.scale and finer_writing_px >= MIN_DIGIT_HEIGHT_PX else None


def writing_height(mark_heights: np.ndarray, candidate_heights: np.ndarray) -> float:
    """The writing's typical height: the median of the `candidate_heights`, or, where there is no candidate or
    that is under FINE_DIGIT_PX, the median height of the marks too small to be candidates (of all merged marks'
    `mark_heights`, those from MIN_SMALL_MARK_PX up to MIN_DIGIT_HEIGHT_PX) where they outnumber the candidates
    and number at least MIN_SMALL_MARKS; 0 with neither."""
    typical = float(np.median(candidate_heights)) if len(candidate_heights) else 0.0
    small = mark_heights[(mark_heights >= MIN_SMALL_MARK_PX) & (mark_heights < MIN_DIGIT_HEIGHT_PX)]
    if typical < FINE_DIGIT_PX and len(small) >= MIN_SMALL_MARKS and len(small) > len(candidate_heights):
        return float(np.median(small))
    return typical


def segment_at(small: np.ndarray, dark: bool, scale: float) -> Segmentation:
    """The candidates of a gray copy `small` of the frame made at `scale`."""
    ink_gray, paper = ink_and_paper(small, dark)
    contrast = contrast_to_paper(ink_gray, paper)
    steps = shadow_steps(ink_gray, paper)
    # Chalk is read at Otsu's level everywhere: its smudges and faint words would pass a level relaxed for glare.
    labels, kept, stats = (threshold_ink(contrast, MAX_CONTRAST_THRESHOLD, paper, steps) if dark
                           else threshold_ink(contrast, MAX_CHALK_CONTRAST_THRESHOLD, steps=steps))
    ids, boxes = components(stats, labels.shape[0])
    groups, merged = merge_fragments(boxes)
    keep = plausible(merged, labels.shape)
    # Per group in plain Python: numpy costs microseconds per call on a handful of values.
    label_of = ids.tolist()
    label_groups = [[label_of[member] for member in group] for group in groups]
    clipped = touches_frame(merged, labels.shape)
    for index in np.flatnonzero(keep & clipped):
        keep[index] = not along_border(labels, merged[index], label_groups[index])
    # Straight pieces of a crease, an edge or a slanted grid line read as "1"s; they run on beyond their ends.
    for index in np.flatnonzero(keep):
        box = merged[index]
        keep[index] = not runs_on(contrast, digit_mask(labels, box, label_groups[index]), tuple(box[:2].tolist()))
    # The dark side of an edge between two surfaces (a sheet against a door) is no ink. A digit in the shade
    # beside a shadow's edge has a dark side too, but lighter than itself all round: the classifier decides.
    in_shade = np.zeros(len(merged), bool)
    for index in np.flatnonzero(keep):
        around = ring_around(ink_gray, labels, merged[index], label_groups[index])
        if one_sided(around):
            keep[index] = in_shade[index] = lighter_all_round(around)
    # A cut digit is one of the page's digits: a mark running out of the view far taller than them is a line,
    # an edge or a hand, and a digit that lost much of its height to the frame is too cut to be read.
    relative = relative_heights(merged[:, 3], keep & ~clipped)
    keep &= ~(clipped & (relative > MAX_CLIPPED_HEIGHT))
    keep &= ~(cut_across(merged, labels.shape) & (relative < MIN_CLIPPED_HEIGHT))
    kept_groups = tuple(tuple(label_groups[index]) for index in np.flatnonzero(keep))
    return Segmentation(labels, kept, merged[keep], kept_groups, scale, contrast,
                        writing_height(merged[:, 3], merged[keep, 3]), in_shade[keep], stats)
