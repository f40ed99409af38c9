using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;
using KvmPS.Guests;

namespace KvmPS.Yaml;

/// <summary>
/// Turns a spec file's nodes into <see cref="GuestRequest"/>s: the schema, the type of each key and
/// every check that needs no host. Each problem is a <see cref="GuestSpecException"/> at the
/// offending node.
/// </summary>
internal sealed partial class SpecReader
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
}
