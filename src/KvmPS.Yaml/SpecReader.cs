using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using KvmPS.Guests;

namespace KvmPS.Yaml;

/// <summary>
/// Turns a spec file's nodes into <see cref="GuestRequest"/>s: the schema, the type of each key and
/// every check that needs no host. Each problem is a <see cref="GuestSpecException"/> at the
/// offending node.
/// </summary>
internal sealed class SpecReader
{
    /// <summary>The New-KvmGuest parameter names a guest mapping takes (matched case-insensitively).</summary>
    public static readonly string[] GuestKeys =
    {
        "name", "computerName", "memoryBytes", "processorCount", "cpuMode", "diskSizeBytes", "baseImage",
        "fullClone", "importDisk", "isoPath", "dataDiskSizeBytes", "storagePool", "network", "bridge",
        "macAddress", "firmware", "secureBoot", "tpm", "osVariant", "graphics", "kernelPath", "initrdPath",
        "kernelArguments", "cloudInit", "start", "wait", "waitForIPAddress", "autostart",
    };

    /// <summary>The keys of a cloudInit mapping.</summary>
    public static readonly string[] CloudInitKeys =
    {
        "user", "sshPublicKey", "password", "passwordHash", "userData", "networkConfig",
    };

    /// <summary>The keys of a top-level mapping that lists guests.</summary>
    public static readonly string[] TopLevelKeys = { "guests", "defaults" };

    private static readonly string[] Firmwares = { "Bios", "Uefi" };
    private static readonly string[] GraphicsKinds = { "Vnc", "Spice", "None" };
    private static readonly string[] GeneratedCloudInitKeys = { "user", "sshPublicKey", "password", "passwordHash" };

    private static readonly Regex MacPattern = new(
        "^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}\\z", RegexOptions.CultureInvariant);

    private static readonly Regex UserPattern = new(
        @"^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,31}\$?\z", RegexOptions.CultureInvariant);

    private static readonly Regex Sha512HashPattern = new(
        @"^\$6\$(rounds=[0-9]+\$)?[a-zA-Z0-9./]{0,16}\$[a-zA-Z0-9./]{86}\z", RegexOptions.CultureInvariant);

    // $id$[params$]salt$hash, as crypt(3) writes them (SHA-crypt, yescrypt, bcrypt, MD5...).
    private static readonly Regex AnyCryptHashPattern = new(
        @"^\$(1|5|6|y|gy|7|2[abxy]|md5|sha1)\$[^\s]*\$[./0-9A-Za-z]{22,}\z", RegexOptions.CultureInvariant);

    private readonly string _source;
    private readonly string _baseDirectory;

    public SpecReader(string source, string baseDirectory)
    {
        _source = source;
        _baseDirectory = baseDirectory;
    }

    public IReadOnlyList<GuestRequest> Read(string yaml)
    {
        SpecNode? root = SpecDocument.Load(yaml, _source);
        if (root == null || root is SpecScalar { IsNull: true })
        {
            throw new GuestSpecException(_source, 1, 1,
                "the spec is empty; expected a mapping with a 'guests' list, a list of guests, or one guest mapping with a 'name'");
        }

        SpecMapping? defaults = null;
        List<SpecNode> guests;
        SpecNode guestList;
        switch (root)
        {
            case SpecSequence sequence:
                guests = sequence.Items;
                guestList = sequence;
                break;

            case SpecMapping mapping when IsGuestList(mapping):
            {
                SpecNode? listNode = null;
                foreach (Entry entry in Entries(mapping, TopLevelKeys, "top-level key", TopLevelHint))
                {
                    if (entry.Name == "guests")
                    {
                        listNode = entry.Value;
                    }
                    else if (entry.Value is SpecMapping defaultsMapping)
                    {
                        defaults = defaultsMapping;
                    }
                    else if (entry.Value is not SpecScalar { IsNull: true })
                    {
                        throw Fail(entry.Value, "defaults: expected a mapping of settings shared by every guest, got " + entry.Value.Describe());
                    }
                }

                if (listNode == null)
                {
                    throw Fail(mapping, "'defaults' is given but there is no 'guests' list");
                }

                if (listNode is not SpecSequence guestSequence)
                {
                    throw Fail(listNode, "guests: expected a list of guest mappings (each line starting with '- name: ...'), got " + listNode.Describe());
                }

                guests = guestSequence.Items;
                guestList = guestSequence;
                break;
            }

            case SpecMapping single:
                guests = new List<SpecNode> { single };
                guestList = single;
                break;

            default:
                throw Fail(root, "expected a mapping with a 'guests' list, a list of guests, or one guest mapping; got " + root.Describe());
        }

        if (guests.Count == 0)
        {
            throw Fail(guestList, "the list of guests is empty");
        }

        if (defaults != null)
        {
            // Checked once up front, so a problem in defaults is reported even before the first guest.
            ApplyGuest(new GuestRequest(), defaults, isDefaults: true);
        }

        var requests = new List<GuestRequest>(guests.Count);
        var names = new Dictionary<string, SpecNode>(StringComparer.OrdinalIgnoreCase);
        foreach (SpecNode node in guests)
        {
            if (node is not SpecMapping guest)
            {
                throw Fail(node, "a guest must be a mapping of settings with at least a 'name', got " + node.Describe());
            }

            var request = new GuestRequest { Origin = _source + ":" + guest.Line.ToString(CultureInfo.InvariantCulture) + ":" + guest.Column.ToString(CultureInfo.InvariantCulture) };
            if (defaults != null)
            {
                ApplyGuest(request, defaults, isDefaults: true);
            }

            SpecNode? nameNode = ApplyGuest(request, guest, isDefaults: false);
            if (nameNode == null)
            {
                throw Fail(guest, "this guest has no 'name'");
            }

            if (names.TryGetValue(request.Name, out SpecNode? first))
            {
                throw Fail(nameNode, "guest name '" + request.Name + "' is used twice in this file (names are compared ignoring case); the first is at line "
                    + first.Line.ToString(CultureInfo.InvariantCulture) + ", column " + first.Column.ToString(CultureInfo.InvariantCulture));
            }

            names.Add(request.Name, nameNode);
            requests.Add(request);
        }

        return requests;
    }

    private static bool IsGuestList(SpecMapping mapping)
    {
        foreach (var entry in mapping.Entries)
        {
            if (string.Equals(entry.Key.Value, "guests", StringComparison.OrdinalIgnoreCase)
                || string.Equals(entry.Key.Value, "defaults", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Applies one guest (or the defaults) mapping; returns the node of its name.</summary>
    private SpecNode? ApplyGuest(GuestRequest request, SpecMapping mapping, bool isDefaults)
    {
        SpecNode? nameNode = null;
        foreach (Entry entry in Entries(mapping, GuestKeys, "key", GuestHint))
        {
            SpecNode value = entry.Value;
            string key = entry.Name;
            switch (key)
            {
                case "name":
                    if (isDefaults)
                    {
                        throw Fail(entry.Key, "'name' cannot be in defaults; every guest needs its own name");
                    }

                    request.Name = GuestName(value);
                    nameNode = value;
                    break;
                case "computerName": request.ComputerName = Text(value, key); break;
                case "memoryBytes": request.MemoryBytes = Size(value, key); break;
                case "processorCount": request.ProcessorCount = Count(value, key); break;
                case "cpuMode": request.CpuMode = Text(value, key); break;
                case "diskSizeBytes": request.DiskSizeBytes = Size(value, key); break;
                case "baseImage": request.BaseImage = Text(value, key); break;
                case "fullClone": request.FullClone = Bool(value, key); break;
                case "importDisk": request.ImportDisk = Text(value, key); break;
                case "isoPath": request.IsoPath = Text(value, key); break;
                case "dataDiskSizeBytes": request.DataDiskSizeBytes = Sizes(value, key); break;
                case "storagePool": request.StoragePool = Text(value, key); break;
                case "network": request.Network = Strings(value, key, Text); break;
                case "bridge": request.Bridge = Strings(value, key, Text); break;
                case "macAddress": request.MacAddress = Strings(value, key, Mac); break;
                case "firmware": request.Firmware = Choice(value, key, Firmwares); break;
                case "secureBoot": request.SecureBoot = Bool(value, key); break;
                case "tpm": request.Tpm = Bool(value, key); break;
                case "osVariant": request.OSVariant = Text(value, key); break;
                case "graphics": request.Graphics = Choice(value, key, GraphicsKinds); break;
                case "kernelPath": request.KernelPath = Text(value, key); break;
                case "initrdPath": request.InitrdPath = Text(value, key); break;
                case "kernelArguments": request.KernelArguments = Text(value, key); break;
                case "cloudInit": ApplyCloudInit(request, value); break;
                case "start": request.Start = Bool(value, key); break;
                case "wait": request.Wait = Bool(value, key); break;
                case "waitForIPAddress": request.WaitForIPAddress = Bool(value, key); break;
                case "autostart": request.Autostart = Bool(value, key); break;
                default: throw new InvalidOperationException("No setter for spec key " + key);
            }
        }

        return nameNode;
    }

    /// <summary>
    /// A guest's cloudInit mapping, over the one from defaults key by key. userData (a whole
    /// user-data file) and the generated cloud-config's settings (user, sshPublicKey, password,
    /// passwordHash) exclude each other: together in one mapping they are an error, and a guest
    /// giving one kind replaces what defaults gave of the other.
    /// </summary>
    private void ApplyCloudInit(GuestRequest request, SpecNode value)
    {
        if (value is SpecScalar { IsNull: true })
        {
            request.CloudInit = null;
            return;
        }

        if (value is not SpecMapping mapping)
        {
            throw Fail(value, "cloudInit: expected a mapping of " + string.Join(", ", CloudInitKeys) + "; got " + value.Describe());
        }

        // userData and the generated settings replace each other's values inherited from defaults
        // (a key set to null only clears its own value).
        bool givesUserData = false;
        bool givesGenerated = false;
        foreach (var pair in mapping.Entries)
        {
            bool given = pair.Value is not SpecScalar { IsNull: true };
            givesUserData |= given && string.Equals(pair.Key.Value, "userData", StringComparison.OrdinalIgnoreCase);
            givesGenerated |= given && Canonical(pair.Key.Value, GeneratedCloudInitKeys) != null;
        }

        CloudInitRequest cloudInit = request.CloudInit ?? new CloudInitRequest();
        if (givesUserData)
        {
            cloudInit.User = null;
            cloudInit.SshPublicKeys = new List<string>();
            cloudInit.PasswordHash = null;
        }

        if (givesGenerated)
        {
            cloudInit.UserData = null;
        }

        Entry? userData = null;
        Entry? generated = null;
        Entry? password = null;
        foreach (Entry entry in Entries(mapping, CloudInitKeys, "cloudInit key", CloudInitHint))
        {
            bool given = entry.Value is not SpecScalar { IsNull: true };
            if (given && entry.Name == "userData")
            {
                userData = entry;
            }
            else if (given && Array.IndexOf(GeneratedCloudInitKeys, entry.Name) >= 0)
            {
                generated ??= entry;
            }

            if (userData != null && generated != null)
            {
                throw Fail(entry.Key, "cloudInit: userData is a complete user-data file and replaces the generated cloud-config, so it cannot be combined with "
                    + generated.Name + " (create the user and keys in the userData file instead)");
            }

            if (entry.Name == "password" || entry.Name == "passwordHash")
            {
                if (password != null)
                {
                    throw Fail(entry.Key, "cloudInit: give either password or passwordHash, not both");
                }

                password = entry;
            }

            string label = "cloudInit." + entry.Name;
            switch (entry.Name)
            {
                case "user": cloudInit.User = UserName(entry.Value, label); break;
                case "sshPublicKey": cloudInit.SshPublicKeys = Strings(entry.Value, label, SshPublicKey); break;
                case "password": cloudInit.PasswordHash = HashPassword(entry.Value, label); break;
                case "passwordHash": cloudInit.PasswordHash = PasswordHashValue(entry.Value, label); break;
                case "userData": cloudInit.UserData = FileContent(entry.Value, label); break;
                case "networkConfig": cloudInit.NetworkConfig = FileContent(entry.Value, label); break;
                default: throw new InvalidOperationException("No setter for cloudInit key " + entry.Name);
            }
        }

        request.CloudInit = cloudInit;
    }

    // ---- keys ----

    private sealed class Entry
    {
        public Entry(string name, SpecScalar key, SpecNode value)
        {
            Name = name;
            Key = key;
            Value = value;
        }

        /// <summary>The canonical spelling of the key.</summary>
        public string Name { get; }

        public SpecScalar Key { get; }

        public SpecNode Value { get; }
    }

    /// <summary>
    /// The mapping's entries with canonical key names, in order and checked one at a time (so the
    /// first problem in the file is the one reported); unknown and repeated keys are errors.
    /// </summary>
    private IEnumerable<Entry> Entries(SpecMapping mapping, string[] known, string what, Func<string, string?> hint)
    {
        var seen = new Dictionary<string, SpecScalar>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in mapping.Entries)
        {
            SpecScalar key = pair.Key;
            string given = key.Value;
            if (seen.TryGetValue(given, out SpecScalar? first))
            {
                throw Fail(key, "duplicate key '" + given + "'; it is already given at line "
                    + first.Line.ToString(CultureInfo.InvariantCulture) + ", column " + first.Column.ToString(CultureInfo.InvariantCulture)
                    + (first.Value == given ? "" : " as '" + first.Value + "' (keys ignore case)"));
            }

            seen.Add(given, key);
            string? canonical = null;
            foreach (string candidate in known)
            {
                if (string.Equals(candidate, given, StringComparison.OrdinalIgnoreCase))
                {
                    canonical = candidate;
                    break;
                }
            }

            if (canonical == null)
            {
                throw Fail(key, UnknownKey(given, known, what, hint));
            }

            yield return new Entry(canonical, key, pair.Value);
        }
    }

    private static string UnknownKey(string given, string[] known, string what, Func<string, string?> hint)
    {
        if (given == "<<")
        {
            return "YAML merge keys ('<<') are not supported; put settings shared by every guest under a top-level 'defaults' mapping";
        }

        string message = "unknown " + what + " '" + given + "'";
        string? elsewhere = hint(given);
        if (elsewhere != null)
        {
            return message + "; " + elsewhere;
        }

        string? suggestion = KeySuggestions.Closest(given, known);
        return suggestion != null
            ? message + "; did you mean '" + suggestion + "'?"
            : message + "; expected one of: " + string.Join(", ", known);
    }

    private static string? TopLevelHint(string given)
    {
        string? guestKey = Canonical(given, GuestKeys);
        return guestKey == null ? null
            : "'" + guestKey + "' is a guest setting: put it in a guest under 'guests', or under 'defaults' for every guest";
    }

    private static string? GuestHint(string given)
    {
        string? cloudInitKey = Canonical(given, CloudInitKeys);
        if (cloudInitKey != null)
        {
            return "'" + cloudInitKey + "' belongs under cloudInit (cloudInit: { " + cloudInitKey + ": ... })";
        }

        // A single-guest file: "guest:" or "default:" were probably meant as a guest list.
        string? topLevel = Canonical(given, TopLevelKeys) ?? KeySuggestions.Closest(given, TopLevelKeys);
        return topLevel != null && KeySuggestions.Closest(given, GuestKeys) == null ? "did you mean '" + topLevel + "'?" : null;
    }

    private static string? CloudInitHint(string given)
    {
        string? guestKey = Canonical(given, GuestKeys);
        return guestKey == null ? null : "'" + guestKey + "' is a guest setting, not a cloudInit one; move it out of cloudInit";
    }

    private static string? Canonical(string given, string[] known)
    {
        foreach (string candidate in known)
        {
            if (string.Equals(candidate, given, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        return null;
    }

    // ---- values ----

    private string GuestName(SpecNode value)
    {
        string? name = Text(value, "name");
        if (name == null)
        {
            throw Fail(value, "name: expected the guest's name, got nothing");
        }

        if (name.Trim().Length != name.Length)
        {
            throw Fail(value, "name: '" + name + "' starts or ends with white space");
        }

        foreach (char c in name)
        {
            if (c == '/' || char.IsControl(c))
            {
                throw Fail(value, "name: '" + Printable(name) + "' contains " + (c == '/' ? "'/'" : "a control character") + ", which libvirt does not allow in a name");
            }
        }

        return name;
    }

    private string? Text(SpecNode value, string label)
    {
        if (value is not SpecScalar scalar)
        {
            throw Fail(value, label + ": expected text, got " + value.Describe());
        }

        if (scalar.IsNull)
        {
            return null;
        }

        if (scalar.Value.Trim().Length == 0)
        {
            throw Fail(value, label + ": must not be empty (leave the key out, or write null, for the default)");
        }

        return scalar.Value;
    }

    /// <summary>
    /// YAML 1.2 core booleans only (true, True, TRUE, false, False, FALSE, unquoted). Null means
    /// false, the default. yes/no/on/off are refused with a message rather than guessed.
    /// </summary>
    private bool Bool(SpecNode value, string label)
    {
        if (value is not SpecScalar scalar)
        {
            throw Fail(value, label + ": expected true or false, got " + value.Describe());
        }

        if (scalar.IsNull)
        {
            return false;
        }

        switch (scalar.Value)
        {
            case "true":
            case "True":
            case "TRUE":
                if (scalar.IsPlain)
                {
                    return true;
                }

                break;
            case "false":
            case "False":
            case "FALSE":
                if (scalar.IsPlain)
                {
                    return false;
                }

                break;
        }

        if (!scalar.IsPlain)
        {
            throw Fail(value, label + ": expected true or false without quotes, got the quoted text '" + scalar.Value + "'");
        }

        switch (scalar.Value.ToLowerInvariant())
        {
            case "yes":
            case "no":
            case "on":
            case "off":
            case "y":
            case "n":
                throw Fail(value, label + ": expected true or false, got '" + scalar.Value + "' (YAML 1.2 has no yes/no/on/off booleans; write true or false)");
            default:
                throw Fail(value, label + ": expected true or false, got '" + scalar.Value + "'");
        }
    }

    private long? Size(SpecNode value, string label)
    {
        string? text = Scalar(value, label, "a size (" + SpecValues.SizeForms + ")");
        if (text == null)
        {
            return null;
        }

        long? size = SpecValues.ParseSize(text, out string problem);
        return size ?? throw Fail(value, label + ": " + problem);
    }

    private int? Count(SpecNode value, string label)
    {
        string? text = Scalar(value, label, "a whole number of at least 1");
        if (text == null)
        {
            return null;
        }

        int? count = SpecValues.ParseCount(text, out string problem);
        return count ?? throw Fail(value, label + ": " + problem);
    }

    private string? Choice(SpecNode value, string label, string[] choices)
    {
        string expected = string.Join(" or ", choices);
        string? text = Scalar(value, label, expected);
        if (text == null)
        {
            return null;
        }

        foreach (string choice in choices)
        {
            if (string.Equals(choice, text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return choice;
            }
        }

        string? suggestion = KeySuggestions.Closest(text, choices);
        throw Fail(value, label + ": expected " + expected + ", got '" + text + "'" + (suggestion == null ? "" : "; did you mean '" + suggestion + "'?"));
    }

    private string? Mac(SpecNode value, string label)
    {
        string? text = Text(value, label);
        if (text == null)
        {
            return null;
        }

        if (!MacPattern.IsMatch(text))
        {
            throw Fail(value, label + ": '" + text + "' is not a MAC address; expected six hexadecimal pairs separated by colons, e.g. 52:54:00:12:34:56");
        }

        if ((Convert.ToInt32(text.Substring(0, 2), 16) & 1) != 0)
        {
            throw Fail(value, label + ": '" + text + "' is a multicast address; a guest's MAC address must have an even first byte, e.g. 52:54:00:12:34:56");
        }

        return text.ToLowerInvariant();
    }

    /// <summary>A scalar's text (null for null); collections are errors.</summary>
    private string? Scalar(SpecNode value, string label, string expected)
    {
        if (value is not SpecScalar scalar)
        {
            throw Fail(value, label + ": expected " + expected + ", got " + value.Describe());
        }

        return scalar.IsNull ? null : scalar.Value;
    }

    /// <summary>A list of texts, or a single one; null and [] give an empty list.</summary>
    private List<string> Strings(SpecNode value, string label, Func<SpecNode, string, string?> item)
    {
        var result = new List<string>();
        foreach (SpecNode node in ListItems(value, label))
        {
            result.Add(item(node, label) ?? throw Fail(node, label + ": a list item is empty (null)"));
        }

        return result;
    }

    /// <summary>A list of sizes, or a single one; null and [] give an empty list.</summary>
    private List<long> Sizes(SpecNode value, string label)
    {
        var result = new List<long>();
        foreach (SpecNode node in ListItems(value, label))
        {
            result.Add(Size(node, label) ?? throw Fail(node, label + ": a list item is empty (null)"));
        }

        return result;
    }

    private IEnumerable<SpecNode> ListItems(SpecNode value, string label)
    {
        if (value is SpecScalar { IsNull: true })
        {
            return Array.Empty<SpecNode>();
        }

        if (value is SpecMapping)
        {
            throw Fail(value, label + ": expected one value or a list, got a mapping");
        }

        if (value is not SpecSequence sequence)
        {
            return new[] { value };
        }

        foreach (SpecNode node in sequence.Items)
        {
            if (node is not SpecScalar)
            {
                throw Fail(node, label + ": expected a list of single values, got " + node.Describe() + " inside it");
            }
        }

        return sequence.Items;
    }

    private string? UserName(SpecNode value, string label)
    {
        string? user = Text(value, label);
        if (user != null && (!UserPattern.IsMatch(user) || IsDigits(user)))
        {
            throw Fail(value, label + ": '" + Printable(user) + "' is not a usable Linux user name; expected up to 32 letters, digits, '_', '.' or '-', not starting with '-' and not all digits");
        }

        return user;
    }

    private string? SshPublicKey(SpecNode value, string label)
    {
        string? key = Text(value, label);
        if (key == null)
        {
            return null;
        }

        key = key.Trim();
        if (key.IndexOf('\n') >= 0 || key.IndexOf('\r') >= 0)
        {
            throw Fail(value, label + ": one key per line; give several keys as a list (one '- ssh-...' item each)");
        }

        string[] fields = key.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2)
        {
            bool path = key.StartsWith("~", StringComparison.Ordinal) || key.StartsWith("/", StringComparison.Ordinal)
                || key.StartsWith(".", StringComparison.Ordinal) || key.EndsWith(".pub", StringComparison.OrdinalIgnoreCase) || key.IndexOf('\\') >= 0;
            throw Fail(value, label + ": '" + key + "' is not an OpenSSH public key; expected the key's text, e.g. 'ssh-ed25519 AAAAC3Nza... me@host'"
                + (path ? " (the contents of the .pub file, not its name)" : ""));
        }

        return key;
    }

    /// <summary>Hashes a plain-text password at once; only the hash is kept.</summary>
    private string? HashPassword(SpecNode value, string label)
    {
        string? password = Text(value, label);
        if (password == null)
        {
            return null;
        }

        if (AnyCryptHashPattern.IsMatch(password))
        {
            throw Fail(value, label + ": this looks like a password hash, not a password; give hashes as passwordHash");
        }

        byte[] bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            return PasswordHash.Sha512Crypt(bytes);
        }
        finally
        {
            Array.Clear(bytes, 0, bytes.Length);
        }
    }

    private string? PasswordHashValue(SpecNode value, string label)
    {
        string? hash = Text(value, label);
        if (hash != null && !Sha512HashPattern.IsMatch(hash))
        {
            throw Fail(value, label + ": expected a SHA-512 crypt hash ($6$salt$ and 86 characters, as 'openssl passwd -6' or 'mkpasswd -m sha-512' print it)");
        }

        return hash;
    }

    /// <summary>The text of a local file named relative to the spec's directory.</summary>
    private string? FileContent(SpecNode value, string label)
    {
        string? path = Text(value, label);
        if (path == null)
        {
            return null;
        }

        string full;
        try
        {
            string expanded = path;
            if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal))
            {
                expanded = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path.Substring(2) : "");
            }

            full = Path.GetFullPath(Path.Combine(_baseDirectory, expanded));
        }
        catch (Exception e) when (e is ArgumentException || e is NotSupportedException || e is PathTooLongException)
        {
            throw Fail(value, label + ": '" + path + "' is not a valid file name (" + e.Message + ")");
        }

        if (!File.Exists(full))
        {
            throw Fail(value, label + ": file '" + path + "' not found" + (Directory.Exists(full) ? " (it is a directory)" : "") + "; looked for " + full);
        }

        try
        {
            return File.ReadAllText(full);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw Fail(value, label + ": cannot read " + full + ": " + e.Message);
        }
    }

    private static bool IsDigits(string text)
    {
        foreach (char c in text)
        {
            if (c < '0' || c > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static string Printable(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            builder.Append(char.IsControl(c) ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c.ToString());
        }

        return builder.ToString();
    }

    private GuestSpecException Fail(SpecNode node, string message) => new(_source, node.Line, node.Column, message);
}
