"""Fictional phone numbers and CSV files for the end-to-end tests.

Only numbers reserved for fiction are used:
  * North America 555-0100 ... 555-0199 (valid in libphonenumber under many
    area codes; AREA_CODES lists the US/Canadian ones where 8.12 accepts
    them as ordinary fixed-line/mobile numbers),
  * UK 020 7946 0000 ... 0999 (Ofcom's drama range),
  * Australia 0491 570 xxx (ACMA's fiction range).
"""
import random

AREA_CODES = [
    201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217,
    218, 219, 220, 223, 224, 225, 226, 228, 229, 231, 234, 236, 239, 240, 248, 249,
    250, 251, 252, 253, 254, 256, 260, 262, 263, 267, 269, 270, 272, 276, 279, 281,
    283, 289, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 312, 313, 314, 315,
    316, 317, 318, 319, 320, 321, 323, 325, 326, 330, 331, 332, 334, 336, 337, 339,
    341, 343, 346, 347, 351, 352, 360, 361, 364, 365, 367, 368, 380, 385, 386, 401,
    402, 403, 404, 405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 416, 417, 418,
    419, 423, 424, 425, 430, 431, 432, 434, 435, 437, 438, 440, 442, 443, 445, 447,
    448, 450, 458, 463, 464, 468, 469, 470, 474, 475, 478, 479, 480, 484, 501, 502,
    503, 504, 505, 506, 507, 508, 509, 510, 512, 513, 514, 515, 516, 517, 518, 519,
    520, 530, 531, 534, 539, 540, 541, 548, 551, 559, 561, 562, 563, 564, 567, 570,
    571, 572, 573, 574, 575, 579, 580, 581, 582, 584, 585, 586, 587, 601, 602, 603,
    604, 605, 606, 607, 608, 609, 610, 612, 613, 614, 615, 616, 617, 618, 619, 620,
    623, 626, 628, 629, 630, 631, 636, 639, 640, 641, 646, 647, 650, 651, 656, 657,
    659, 660, 661, 662, 667, 669, 672, 678, 680, 681, 682, 689, 701, 702, 703, 704,
    705, 706, 707, 708, 709, 712, 713, 714, 715, 716, 717, 718, 719, 720, 724, 725,
    726, 727, 731, 732, 734, 737, 740, 742, 743, 747, 753, 754, 757, 760, 762, 763,
    765, 769, 770, 771, 772, 773, 774, 775, 778, 779, 780, 781, 782, 785, 786, 801,
    802, 803, 804, 805, 806, 807, 808, 810, 812, 813, 814, 815, 816, 817, 818, 819,
    820, 825, 826, 828, 830, 831, 832, 838, 839, 840, 843, 845, 847, 848, 850, 854,
    856, 857, 858, 859, 860, 862, 863, 864, 865, 867, 870, 872, 873, 878, 901, 902,
    903, 904, 905, 906, 907, 908, 909, 910, 912, 913, 914, 915, 916, 917, 918, 919,
    920, 925, 928, 929, 930, 931, 934, 936, 937, 938, 940, 941, 943, 945, 947, 948,
    949, 951, 952, 954, 956, 959, 970, 971, 972, 973, 978, 979, 980, 984, 985, 986,
    989,
]

# A handful of US area codes whose numbers libphonenumber puts in region US.
US_ONLY = [202, 212, 213, 305, 312, 415, 512, 617, 702, 907]


def nanp(area, suffix):
    """(E.164, a written form) of the fictional number AREA-555-01XX."""
    assert 100 <= suffix <= 199
    e164 = "+1%d555%04d" % (area, suffix)
    return e164


def nanp_numbers():
    """Every fictional NANPA number we can use, as E.164, in a fixed order."""
    for suffix in range(100, 200):
        for area in AREA_CODES:
            yield nanp(area, suffix)


FORMATS = [
    lambda a, s: "+1 %d 555 %04d" % (a, s),
    lambda a, s: "(%d) 555-%04d" % (a, s),
    lambda a, s: "%d-555-%04d" % (a, s),
    lambda a, s: "%d.555.%04d" % (a, s),
    lambda a, s: "+1%d555%04d" % (a, s),
    lambda a, s: "1 %d 555 %04d" % (a, s),
]


def written_numbers(n, start=0):
    """n distinct fictional NANPA numbers in mixed real-world spellings:
    [(written, e164)]. `start` skips that many, so that two callers can
    take disjoint sets."""
    out = []
    i = 0
    for suffix in range(100, 200):
        for area in AREA_CODES:
            if i >= start:
                fmt = FORMATS[i % len(FORMATS)]
                out.append((fmt(area, suffix), "+1%d555%04d" % (area, suffix)))
                if len(out) == n:
                    return out
            i += 1
    raise ValueError("only %d fictional numbers available" % i)


def csv_field(v):
    if any(c in v for c in ',"\r\n;\t'):
        return '"' + v.replace('"', '""') + '"'
    return v


def rows_to_csv(header, rows, sep=",", eol="\n"):
    lines = [sep.join(csv_field(h) for h in header)]
    lines += [sep.join(csv_field(v) for v in row) for row in rows]
    return (eol.join(lines) + eol).encode("utf-8")


def big_csv(target_bytes, seed=7):
    """A CSV of at least target_bytes of valid rows, all phones distinct.
    Returns (bytes, number of rows)."""
    rnd = random.Random(seed)
    # Rows of ~270 bytes: the ~38,500 fictional NANPA numbers go far enough.
    pad = "x" * 230
    parts = [b"name,company,phone,title,notes\n"]
    size = len(parts[0])
    n = 0
    for written, _ in written_numbers(len(AREA_CODES) * 100):
        row = "%s %d,Company %d,%s,Title %d,%s%08d\n" % (
            rnd.choice(["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken"]), n,
            n % 997, written, n % 13, pad, n)
        b = row.encode("ascii")
        parts.append(b)
        size += len(b)
        n += 1
        if size >= target_bytes:
            return b"".join(parts), n
    raise ValueError("not enough fictional numbers for %d bytes" % target_bytes)
