#!/usr/bin/python3
"""Generate a deterministic contact CSV for the import benchmark.

    bench/gen_contacts.py [-n ROWS] [--seed S] [--aliases] [--check] [-o FILE]

Header `Name,Company,Title,Phone` (--aliases: `Full Name,Company Name,Job
Title,Phone Number,Email`, the last column ignored by the importer). CRLF
line ends, as spreadsheets write them; fields with commas or quotes are
quoted (RFC 4180). About 5% of the rows are invalid on purpose: bad or empty
phones, premium-rate numbers, empty name or company, wrong field count,
Latin-1 bytes, and repeats of an earlier number written another way.

Only fictional numbers are used:
  * NANP 555-0100..0199 (reserved for fiction) in every geographic US area
    code (337) and Canadian one (48) that libphonenumber 8.12 accepts:
    38,500 numbers;
  * Ofcom's drama ranges in 14 UK geographic areas (+44 20 7946 0xxx,
    +44 113 496 0xxx, ...): 14,000;
  * ACMA's fictitious ranges +61 [237] 5550 xxxx and +61 [2378] 7010 xxxx:
    70,000.
NANP alone cannot give 100,000 distinct numbers, so a 100,000-row file
draws on the UK and Australian ranges for the rest (the pool is used NANP
first, then UK, then AU). Should a file need more than the 122,500
numbers, the pool is reused and a warning says how many rows repeat.

--check re-reads the file with Debian's python3-phonenumbers and prints how
many rows carry a valid, distinct number (needs /usr/bin/python3).
"""
import argparse
import csv
import io
import random
import sys

# Area codes whose NXX-555-01XX numbers libphonenumber 8.12.57 calls valid
# FIXED_LINE_OR_MOBILE (non-geographic 5XX, 8XX toll-free and 900 left out).
US_AREA = """
201 202 203 205 206 207 208 209 210 212 213 214 215 216 217 218 219 220 223
224 225 228 229 231 234 239 240 248 251 252 253 254 256 260 262 267 269 270
272 276 279 281 283 301 302 303 304 305 307 308 309 310 312 313 314 315 316
317 318 319 320 321 323 325 326 330 331 332 334 336 337 339 341 346 347 351
352 360 361 364 380 385 386 401 402 404 405 406 407 408 409 410 412 413 414
415 417 419 423 424 425 430 432 434 435 440 442 443 445 447 448 458 463 464
469 470 475 478 479 480 484 501 502 503 504 505 507 508 509 510 512 513 515
516 517 518 520 530 531 534 539 540 541 551 559 561 562 563 564 567 570 571
572 573 574 575 580 582 585 586 601 602 603 605 606 607 608 609 610 612 614
615 616 617 618 619 620 623 626 628 629 630 631 636 640 641 646 650 651 656
657 659 660 661 662 667 669 678 680 681 682 689 701 702 703 704 706 707 708
712 713 714 715 716 717 718 719 720 724 725 726 727 731 732 734 737 740 743
747 754 757 760 762 763 765 769 770 771 772 773 774 775 779 781 785 786 801
802 803 804 805 806 808 810 812 813 814 815 816 817 818 820 826 828 830 831
832 838 839 840 843 845 847 848 850 854 856 857 858 859 860 862 863 864 865
870 872 878 901 903 904 906 907 908 909 910 912 913 914 915 916 917 918 919
920 925 928 929 930 931 934 936 937 938 940 941 943 945 947 948 949 951 952
954 956 959 970 971 972 973 978 979 980 984 985 986 989
""".split()
CA_AREA = """
204 226 236 249 250 263 289 306 343 365 367 368 403 416 418 431 437 438 450
468 474 506 514 519 548 579 581 584 587 604 613 639 647 672 705 709 742 753
778 780 782 807 819 825 867 873 902 905
""".split()
# (leading groups after +44, digits to add); each range is 1,000 numbers.
UK_RANGES = [("113 496 0", 3), ("114 496 0", 3), ("116 496 0", 3),
             ("117 496 0", 3), ("118 496 0", 3), ("121 496 0", 3),
             ("131 496 0", 3), ("141 496 0", 3), ("151 496 0", 3),
             ("161 496 0", 3), ("191 498 0", 3), ("20 7946 0", 3),
             ("28 9649 6", 3), ("29 2018 0", 3)]
# (leading groups after +61, digits to add); each range is 10,000 numbers.
AU_RANGES = [("2 5550", 4), ("3 5550", 4), ("7 5550", 4), ("2 7010", 4),
             ("3 7010", 4), ("7 7010", 4), ("8 7010", 4)]

FIRST = """James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth
William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen
Christopher Lisa Daniel Nancy Matthew Betty Anthony Margaret Mark Sandra
Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth
Carol Kevin Amanda Brian Dorothy George Melissa Timothy Deborah Ronald
Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob
Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda
Larry Pamela Justin Emma Scott Nicole Brandon Helen Benjamin Samantha Samuel
Katherine Gregory Christine Alexander Debra Frank Rachel Patrick Carolyn
Raymond Janet Jack Catherine Dennis Maria Jerry Heather Tyler Diane Aaron
Ruth Jose Julie Adam Olivia Nathan Joyce Henry Virginia Douglas Victoria
Zachary Kelly Peter Lauren Kyle Christina Ethan Joan Walter Evelyn Noah
Judith Jeremy Megan Christian Andrea Keith Cheryl Roger Hannah Terry Jacqueline
Gerald Martha Harold Gloria Sean Teresa Austin Ann Carl Sara Arthur Madison
Lawrence Frances Dylan Kathryn Jesse Janice Jordan Jean Bryan Abigail Billy
Alice Joe Judy Bruce Sophia Gabriel Grace Logan Denise Albert Amber Willie
Doris Alan Marilyn Juan Danielle Wayne Beverly Elijah Isabella Randy Theresa
Roy Diana Vincent Natalie Ralph Brittany Eugene Charlotte Russell Marie Bobby
Kayla Mason Alexis Philip Lori Louis Priya Wei Aisha Mohammed Sofia Hiroshi
Chloé José Zoë Renée Björn Siobhán Łukasz Ngozi Thanh""".split()
LAST = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez
Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee
Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young
Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall
Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker
Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez
Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward
Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes
Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell
Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales
Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds
Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina
Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald
Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman
Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder
Mason Dixon Muñoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose
Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson
Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer
Hawkins Arnold Pierce Hansen Peters Santos Hart Bradley Knight Elliott Cunningham
O'Brien O'Connor D'Angelo McAllister Van-der-Berg Nakamura Kowalski Okafor
Müller Øvergaard Dubois Rossi Singh Haddad""".split()
CO_WORDS = """Acme Apex Summit Pioneer Blue Ridge Harbor Granite Cedar Silver Golden
Northwind Redwood Evergreen Keystone Liberty Patriot Prairie Lakeside Riverbend
Ironwood Falcon Eagle Beacon Crescent Meridian Horizon Vertex Quantum Nimbus
Atlas Titan Orion Vanguard Sterling Crown Anchor Compass Lighthouse Union
Heritage Frontier Cascade Sierra Mesa Canyon Delta Coastal Midwest Southern
Northern Bay Metro Urban Rural Heartland Tri-County Allied United Premier""".split()
CO_KIND = """Logistics Manufacturing Software Systems Solutions Consulting Dental
Plumbing Roofing Realty Insurance Capital Partners Foods Farms Motors Auto
Electric Energy Health Clinic Labs Analytics Media Marketing Design Builders
Construction Supply Freight Hardware Brewing Coffee Bakery Printing Staffing
Security Networks Telecom Pharmacy Veterinary Fitness Outfitters Textiles""".split()
CO_SUFFIX = ["Inc.", "LLC", "Co.", "Corp.", "Group", "Ltd.", "LLP", "& Sons",
             "Holdings", "", "", ""]
TITLES = """Owner|CEO|Founder|President|Office Manager|Operations Manager|
Director of Operations|Purchasing Manager|Procurement Lead|IT Manager|CTO|
CFO|Controller|Head of Sales|Sales Manager|Account Executive|
Marketing Director|Facilities Manager|HR Manager|Practice Manager|
General Manager|Store Manager|Fleet Manager|Plant Manager|Buyer|
Office Administrator|Executive Assistant|Partner|Managing Director|
VP, Sales|VP, Marketing|Director, Business Development|SVP, Operations|
Head of "Growth"|Chief Everything Officer""".replace("\n", "").split("|")


def nanp_pool():
    out = []
    for region, codes in (("US", US_AREA), ("CA", CA_AREA)):
        for a in codes:
            for s in range(100, 200):
                out.append(("NANP", a, "%04d" % s))
    return out


def intl_pool(kind, ranges):
    out = []
    for lead, nd in ranges:
        for s in range(10 ** nd):
            out.append((kind, lead, str(s).zfill(nd)))
    return out


def render(num, rng):
    """One number written as people write it."""
    kind, a, b = num
    r = rng.random()
    if kind == "NANP":
        fmts = [(0.30, "({a}) 555-{b}"), (0.42, "{a}.555.{b}"),
                (0.54, "+1 {a} 555 {b}"), (0.64, "1-{a}-555-{b}"),
                (0.76, "{a}555{b}"), (0.89, "{a}-555-{b}"),
                (0.94, "+1 ({a}) 555-{b}"), (0.97, "+1{a}555{b}"),
                (0.985, "{a}-555-{b} x{x}"), (1.01, "({a}) 555-{b} ext. {x}")]
        for p, f in fmts:
            if r < p:
                break
        s = f.format(a=a, b=b, x=rng.randint(2, 499))
    else:
        cc = "44" if kind == "UK" else "61"
        # UK ranges end inside a group ("20 7946 0" + "123"), AU's do not.
        g = a + b if kind == "UK" else a + " " + b
        if r < 0.45:
            s = "+%s %s" % (cc, g)                    # +44 20 7946 0123
        elif r < 0.60:
            s = "+%s (0)%s" % (cc, g)                 # +44 (0)20 7946 0123
        elif r < 0.80:
            s = "+%s%s" % (cc, g.replace(" ", ""))    # +442079460123
        elif r < 0.92:
            s = "011 %s %s" % (cc, g)                 # dialled from the US
        else:
            s = "+%s-%s" % (cc, g.replace(" ", "-"))  # +61-2-5550-1234
    if rng.random() < 0.01:
        s = " " + s + " "
    return s


def person(rng):
    f, l = rng.choice(FIRST), rng.choice(LAST)
    r = rng.random()
    if r < 0.08:
        return "%s %s. %s" % (f, rng.choice("ABCDEFGHJKLMNPRSTW"), l)
    if r < 0.11:
        return "%s, %s" % (l, f)             # "Smith, John": quoted
    if r < 0.12:
        return '%s "%s" %s' % (f, rng.choice(["Bud", "Red", "Ace", "Doc"]), l)
    if r < 0.14:
        return "Dr. %s %s" % (f, l)
    return "%s %s" % (f, l)


def company(rng):
    r = rng.random()
    if r < 0.07:
        return "%s, %s & %s %s" % (rng.choice(LAST), rng.choice(LAST), rng.choice(LAST),
                                   rng.choice(["LLP", "P.C.", "CPAs"]))
    if r < 0.10:
        return '%s "%s" %s' % (rng.choice(CO_WORDS), rng.choice(CO_WORDS), rng.choice(CO_KIND))
    if r < 0.14:
        return "%s %s, Inc." % (rng.choice(CO_WORDS), rng.choice(CO_KIND))
    if r < 0.22:
        return "%s's %s" % (rng.choice(LAST), rng.choice(CO_KIND))
    return " ".join(x for x in (rng.choice(CO_WORDS), rng.choice(CO_KIND),
                                rng.choice(CO_SUFFIX)) if x)


def title(rng):
    return "" if rng.random() < 0.10 else rng.choice(TITLES)


BAD_PHONES = ["12", "123", "(123) 456-7890", "555-0143", "(202) 555-01",
              "202-555-014399999999", "n/a", "TBD", "call back", "+999 123 4567",
              "000-000-0000", "(911) 555-0100", "see notes", "+44 20 7946",
              "phone", "555.0199"]

# Share of rows per kind of problem (the rest are good).
INVALID = [("bad_phone", 0.015), ("premium", 0.002), ("empty_phone", 0.003),
           ("empty_company", 0.012), ("empty_name", 0.005), ("duplicate", 0.006),
           ("field_count", 0.004), ("latin1", 0.003)]


def generate(n, seed, aliases, out):
    rng = random.Random(seed)
    kinds = []
    for _ in range(n):
        r, k = rng.random(), "good"
        for name, p in INVALID:
            if r < p:
                k = name
                break
            r -= p
        kinds.append(k)
    need = sum(1 for k in kinds if k in ("good", "empty_company", "empty_name",
                                         "field_count", "latin1"))
    pools = [nanp_pool(), intl_pool("UK", UK_RANGES), intl_pool("AU", AU_RANGES)]
    chosen = []
    for pool in pools:
        rng.shuffle(pool)
        chosen.extend(pool[:need - len(chosen)])
    repeats = max(0, need - len(chosen))
    pool_all = list(chosen)
    while len(chosen) < need:
        chosen.append(pool_all[len(chosen) % len(pool_all)])
    rng.shuffle(chosen)
    if repeats:
        print("gen_contacts: only %d fictional numbers exist; %d rows repeat one"
              % (len(pool_all), repeats), file=sys.stderr)

    w = csv.writer(out, lineterminator="\r\n")
    if aliases:
        w.writerow(["Full Name", "Company Name", "Job Title", "Phone Number", "Email"])
    else:
        w.writerow(["Name", "Company", "Title", "Phone"])
    used = []
    nextnum = iter(chosen)
    mix = {"NANP": 0, "UK": 0, "AU": 0}
    for k in kinds:
        name, co, ti = person(rng), company(rng), title(rng)
        if k in ("good", "empty_company", "empty_name", "field_count", "latin1"):
            num = next(nextnum)
            phone = render(num, rng)
            if k == "good":
                used.append(num)
                mix[num[0]] += 1
        elif k == "duplicate" and used:
            phone = render(rng.choice(used), rng)
        elif k == "premium":
            phone = "+44 909 879 0%03d" % rng.randint(0, 999)
        elif k == "empty_phone":
            phone = ""
        else:
            phone = rng.choice(BAD_PHONES)
        if k == "empty_company":
            co = rng.choice(["", "", " "])
        elif k == "empty_name":
            name = ""
        elif k == "latin1":
            # A cp1252 export: é as the single byte 0xE9 (invalid UTF-8).
            name = rng.choice(["Jos\udce9 Garc\udceda", "Ren\udce9e Dubois",
                               "Zo\udceb M\udcfcller"])
        row = [name, co, ti, phone]
        if aliases:
            row.append("" if rng.random() < 0.3 else
                       name.split(" ")[0].lower().strip(",.\"") + "@example.com")
        if k == "field_count":
            row = row[:-1] if rng.random() < 0.5 else row + ["extra"]
        w.writerow(row)
    return mix, repeats


def check(path):
    import phonenumbers as pn
    valid, seen, rows = 0, set(), 0
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
        r = csv.reader(f)
        hdr = next(r)
        pcol = len(hdr) - 2 if len(hdr) == 5 else 3
        for row in r:
            rows += 1
            if len(row) != len(hdr):
                continue
            try:
                n = pn.parse(row[pcol], "US")
            except pn.NumberParseException:
                continue
            if pn.is_valid_number(n):
                valid += 1
                seen.add(pn.format_number(n, pn.PhoneNumberFormat.E164))
    print("check: %d rows, %d with a valid number, %d distinct (%d repeats)"
          % (rows, valid, len(seen), valid - len(seen)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--rows", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--aliases", action="store_true",
                    help="alias headers (Full Name, Company Name, ...) and an extra Email column")
    ap.add_argument("--check", action="store_true",
                    help="count valid and distinct numbers with python3-phonenumbers")
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()
    if a.output == "-":
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8",
                               errors="surrogateescape", newline="")
    else:
        out = open(a.output, "w", encoding="utf-8", errors="surrogateescape", newline="")
    mix, _ = generate(a.rows, a.seed, a.aliases, out)
    out.flush()
    if a.output != "-":
        out.close()
    print("gen_contacts: %d rows, good rows by numbering plan: %s"
          % (a.rows, ", ".join("%s %d" % kv for kv in mix.items())), file=sys.stderr)
    if a.check:
        if a.output == "-":
            sys.exit("--check needs -o FILE")
        check(a.output)


if __name__ == "__main__":
    main()
