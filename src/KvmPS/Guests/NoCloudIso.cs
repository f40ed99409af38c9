using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace KvmPS.Guests;

/// <summary>
/// Writes a cloud-init NoCloud seed (an ISO 9660 image labelled "cidata" whose root holds
/// user-data, meta-data and maybe network-config) in memory, for hosts that have none of
/// genisoimage, mkisofs, xorriso or cloud-localds: the image is built here and uploaded.
/// </summary>
/// <remarks>
/// Names: ISO 9660 level 1 allows only 8.3 upper-case names without '-', so the primary tree
/// holds mangled names (USER_DAT.;1, as genisoimage writes them) and a Joliet tree (UCS-2)
/// holds the real ones. There is no Rock Ridge, on purpose: Linux's isofs uses the Joliet tree
/// whenever a disc has one and no Rock Ridge (it prefers Rock Ridge only when both exist), and
/// every distribution kernel is built with CONFIG_JOLIET, so cloud-init, which mounts the seed,
/// sees "user-data". Rock Ridge would only add POSIX owners and modes, which cloud-init ignores
/// (it mounts the seed on a private temporary directory), at the cost of SUSP entries in every
/// record, and since the kernel would then prefer it, a mistake there would hide correct Joliet
/// names. The layout follows genisoimage -joliet without its 300 KiB of trailing padding (a
/// work-around for real drives' read-ahead, not needed for an image file).
/// </remarks>
internal static class NoCloudIso
{
    public const string VolumeId = "cidata";
    public const int MaxNameLength = 64;   // Joliet's limit, in UTF-16 code units
    private const int SectorSize = 2048;
    private const int PathTableSize = 10;  // one record: the root directory
    private const int FirstDirectorySector = 23;

    public static byte[] Build(IReadOnlyDictionary<string, byte[]> files, DateTime timestampUtc)
    {
        if (files is null) throw new ArgumentNullException(nameof(files));
        DateTime time = timestampUtc.Kind == DateTimeKind.Local ? timestampUtc.ToUniversalTime() : timestampUtc;
        if (time.Year < 1900 || time.Year > 2155)
        {
            // A directory record stores the year as one byte counted from 1900.
            throw new ArgumentOutOfRangeException(nameof(timestampUtc), timestampUtc, "An ISO 9660 timestamp must fall in the years 1900 to 2155.");
        }

        // Ordinal order first, so the bytes depend on the contents only, not on the dictionary's enumeration order.
        var entries = files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => new Entry(f.Key, f.Value)).ToList();
        if (entries.Count == 0) throw new ArgumentException("A seed needs at least one file.", nameof(files));
        foreach (Entry entry in entries) Validate(entry);
        AssignShortNames(entries);

        var primary = entries.OrderBy(e => e.ShortStem, StringComparer.Ordinal).ThenBy(e => e.ShortExtension, StringComparer.Ordinal).ToList();
        var joliet = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        byte[][] primaryIds = primary.Select(e => Encoding.ASCII.GetBytes(e.ShortStem + "." + e.ShortExtension + ";1")).ToArray();
        byte[][] jolietIds = joliet.Select(e => Encoding.BigEndianUnicode.GetBytes(e.Name)).ToArray();
        int[] primaryOffsets = LayOut(primaryIds, out int primarySectors);
        int[] jolietOffsets = LayOut(jolietIds, out int jolietSectors);
        int primaryRoot = FirstDirectorySector;
        int jolietRoot = primaryRoot + primarySectors;

        long next = jolietRoot + jolietSectors;
        foreach (Entry entry in entries)
        {
            // An empty file takes no sector; like genisoimage, it points where the next data would go.
            entry.Extent = (int)next;
            next += (entry.Data.Length + SectorSize - 1) / SectorSize;
            if (next * SectorSize > int.MaxValue - SectorSize) throw new ArgumentException("The seed files are too large for one in-memory image.", nameof(files));
        }

        int totalSectors = (int)next;
        var image = new byte[(long)totalSectors * SectorSize];
        WriteVolumeDescriptor(image, 16, joliet: false, totalSectors, primaryRoot, primarySectors, 19, 20, time);
        WriteVolumeDescriptor(image, 17, joliet: true, totalSectors, jolietRoot, jolietSectors, 21, 22, time);
        int terminator = 18 * SectorSize;
        image[terminator] = 255;
        Encoding.ASCII.GetBytes("CD001", 0, 5, image, terminator + 1);
        image[terminator + 6] = 1;
        WritePathTables(image, 19, 20, primaryRoot);
        WritePathTables(image, 21, 22, jolietRoot);
        WriteDirectory(image, primaryRoot, primarySectors, primary, primaryIds, primaryOffsets, time);
        WriteDirectory(image, jolietRoot, jolietSectors, joliet, jolietIds, jolietOffsets, time);
        foreach (Entry entry in entries)
        {
            Buffer.BlockCopy(entry.Data, 0, image, entry.Extent * SectorSize, entry.Data.Length);
        }

        return image;
    }

    private static void Validate(Entry entry)
    {
        string name = entry.Name;
        string Quoted() => "'" + string.Concat(name.Select(c => c < ' ' ? "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture) : c.ToString())) + "'";
        if (entry.Data is null) throw new ArgumentException($"The seed file {Quoted()} has no contents (null).", "files");
        if (name.Length == 0) throw new ArgumentException("A seed file name must not be empty.", "files");
        if (name.Length > MaxNameLength)
        {
            throw new ArgumentException($"The seed file name {Quoted()} is {name.Length} characters long; Joliet allows at most {MaxNameLength}.", "files");
        }

        if (name == "." || name == ".." || name.EndsWith(".", StringComparison.Ordinal))
        {
            // Linux drops trailing dots from Joliet names, so the guest would see another name.
            throw new ArgumentException($"The seed file name {Quoted()} must not be '.', '..' or end with a dot.", "files");
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (c < ' ' || c == '/' || c == '\\' || c == '*' || c == ':' || c == ';' || c == '?')
            {
                // '/' would make a path; the others and control characters (NUL among them) are not allowed in Joliet names.
                throw new ArgumentException($"The seed file name {Quoted()} must be a plain file name: no '/', '\\', '*', ':', ';', '?' or control characters (such as NUL).", "files");
            }

            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new ArgumentException($"The seed file name {Quoted()} is not valid UTF-16 (a lone surrogate).", "files");
            }
        }
    }

    /// <summary>Level-1 names, unique among the entries (the guest never sees them, but a tree with duplicates is invalid).</summary>
    private static void AssignShortNames(List<Entry> entries)
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (Entry entry in entries)
        {
            int dot = entry.Name.LastIndexOf('.');
            string stem = DCharacters(dot > 0 ? entry.Name.Substring(0, dot) : entry.Name, 8);
            string extension = dot > 0 ? DCharacters(entry.Name.Substring(dot + 1), 3) : string.Empty;
            if (stem.Length == 0) stem = "_";
            string candidate = stem;
            for (int n = 1; !taken.Add(candidate + "." + extension); n++)
            {
                string suffix = n.ToString(CultureInfo.InvariantCulture);
                candidate = stem.Substring(0, Math.Min(stem.Length, 8 - suffix.Length)) + suffix;
            }

            entry.ShortStem = candidate;
            entry.ShortExtension = extension;
        }
    }

    private static string DCharacters(string text, int max)
    {
        var builder = new StringBuilder(max);
        foreach (char c in text)
        {
            if (builder.Length == max) break;
            char upper = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
            builder.Append((upper >= 'A' && upper <= 'Z') || (upper >= '0' && upper <= '9') ? upper : '_');
        }

        return builder.ToString();
    }

    /// <summary>Offsets of ".", ".." and the records in a directory: a record may not cross a sector boundary.</summary>
    private static int[] LayOut(byte[][] ids, out int sectors)
    {
        var offsets = new int[ids.Length + 2];
        int position = 0;
        for (int i = 0; i < offsets.Length; i++)
        {
            int length = RecordLength(i < 2 ? 1 : ids[i - 2].Length);
            if (position % SectorSize + length > SectorSize) position += SectorSize - position % SectorSize;
            offsets[i] = position;
            position += length;
        }

        sectors = (position + SectorSize - 1) / SectorSize;
        return offsets;
    }

    private static int RecordLength(int idLength) => 33 + idLength + (idLength % 2 == 0 ? 1 : 0);

    private static void WriteDirectory(byte[] image, int sector, int sectors, List<Entry> entries, byte[][] ids, int[] offsets, DateTime time)
    {
        int start = sector * SectorSize;
        // The root is its own parent.
        WriteRecord(image, start + offsets[0], new byte[] { 0 }, sector, sectors * SectorSize, true, time);
        WriteRecord(image, start + offsets[1], new byte[] { 1 }, sector, sectors * SectorSize, true, time);
        for (int i = 0; i < entries.Count; i++)
        {
            WriteRecord(image, start + offsets[i + 2], ids[i], entries[i].Extent, entries[i].Data.Length, false, time);
        }
    }

    private static void WriteRecord(byte[] image, int at, byte[] id, int extent, int length, bool directory, DateTime time)
    {
        image[at] = (byte)RecordLength(id.Length);
        BothEndian32(image, at + 2, extent);
        BothEndian32(image, at + 10, length);
        image[at + 18] = (byte)(time.Year - 1900);
        image[at + 19] = (byte)time.Month;
        image[at + 20] = (byte)time.Day;
        image[at + 21] = (byte)time.Hour;
        image[at + 22] = (byte)time.Minute;
        image[at + 23] = (byte)time.Second;
        image[at + 24] = 0; // offset from GMT, in 15-minute steps
        image[at + 25] = directory ? (byte)2 : (byte)0;
        BothEndian16(image, at + 28, 1); // volume sequence number
        image[at + 32] = (byte)id.Length;
        Buffer.BlockCopy(id, 0, image, at + 33, id.Length);
    }

    private static void WriteVolumeDescriptor(byte[] image, int sector, bool joliet, int totalSectors, int root, int rootSectors, int lTable, int mTable, DateTime time)
    {
        int at = sector * SectorSize;
        image[at] = joliet ? (byte)2 : (byte)1;
        Encoding.ASCII.GetBytes("CD001", 0, 5, image, at + 1);
        image[at + 6] = 1;
        Text(image, at + 8, 32, string.Empty, joliet);   // system identifier
        // Lower case is outside ISO 9660's d-characters, but cloud-init (through blkid) looks for this exact label, and genisoimage writes it so too.
        Text(image, at + 40, 32, VolumeId, joliet);
        BothEndian32(image, at + 80, totalSectors);
        if (joliet)
        {
            // UCS-2 level 3: the escape sequence by which Linux, blkid and isoinfo recognise Joliet.
            image[at + 88] = 0x25;
            image[at + 89] = 0x2F;
            image[at + 90] = 0x45;
        }

        BothEndian16(image, at + 120, 1); // volume set size
        BothEndian16(image, at + 124, 1); // volume sequence number
        BothEndian16(image, at + 128, SectorSize);
        BothEndian32(image, at + 132, PathTableSize);
        LittleEndian32(image, at + 140, lTable);
        BigEndian32(image, at + 148, mTable);
        WriteRecord(image, at + 156, new byte[] { 0 }, root, rootSectors * SectorSize, true, time);
        Text(image, at + 190, 128, string.Empty, joliet); // volume set
        Text(image, at + 318, 128, string.Empty, joliet); // publisher
        Text(image, at + 446, 128, string.Empty, joliet); // data preparer
        Text(image, at + 574, 128, "KVMPS NOCLOUD SEED", joliet); // application: tells an admin who made the seed
        Text(image, at + 702, 37, string.Empty, joliet);  // copyright file
        Text(image, at + 739, 37, string.Empty, joliet);  // abstract file
        Text(image, at + 776, 37, string.Empty, joliet);  // bibliographic file
        string stamp = time.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + (time.Millisecond / 10).ToString("00", CultureInfo.InvariantCulture);
        Encoding.ASCII.GetBytes(stamp, 0, 16, image, at + 813); // creation
        Encoding.ASCII.GetBytes(stamp, 0, 16, image, at + 830); // modification
        Encoding.ASCII.GetBytes(new string('0', 16), 0, 16, image, at + 847); // expiration: none
        Encoding.ASCII.GetBytes(new string('0', 16), 0, 16, image, at + 864); // effective: at once
        image[at + 881] = 1; // file structure version
    }

    /// <summary>Space-padded text: ASCII in the primary descriptor, UCS-2 big-endian in Joliet's (an odd-length field ends with a zero byte, as genisoimage writes it).</summary>
    private static void Text(byte[] image, int at, int length, string value, bool ucs2)
    {
        if (!ucs2)
        {
            string padded = value.PadRight(length);
            Encoding.ASCII.GetBytes(padded, 0, length, image, at);
            return;
        }

        string wide = value.PadRight(length / 2);
        Encoding.BigEndianUnicode.GetBytes(wide, 0, length / 2, image, at);
    }

    private static void WritePathTables(byte[] image, int lTable, int mTable, int root)
    {
        foreach (bool bigEndian in new[] { false, true })
        {
            int at = (bigEndian ? mTable : lTable) * SectorSize;
            image[at] = 1; // identifier length: the root's single 0x00
            if (bigEndian)
            {
                BigEndian32(image, at + 2, root);
                image[at + 7] = 1; // parent directory number
            }
            else
            {
                LittleEndian32(image, at + 2, root);
                image[at + 6] = 1;
            }
        }
    }

    private static void BothEndian16(byte[] image, int at, int value)
    {
        image[at] = image[at + 3] = (byte)value;
        image[at + 1] = image[at + 2] = (byte)(value >> 8);
    }

    private static void BothEndian32(byte[] image, int at, int value)
    {
        LittleEndian32(image, at, value);
        BigEndian32(image, at + 4, value);
    }

    private static void LittleEndian32(byte[] image, int at, int value)
    {
        for (int i = 0; i < 4; i++) image[at + i] = (byte)(value >> (8 * i));
    }

    private static void BigEndian32(byte[] image, int at, int value)
    {
        for (int i = 0; i < 4; i++) image[at + 3 - i] = (byte)(value >> (8 * i));
    }

    private sealed class Entry
    {
        public Entry(string name, byte[] data)
        {
            Name = name;
            Data = data;
        }

        public string Name { get; }
        public byte[] Data { get; }
        public string ShortStem { get; set; } = string.Empty;
        public string ShortExtension { get; set; } = string.Empty;
        public int Extent { get; set; }
    }
}
