using System;
using System.IO;
using Xunit;

namespace KvmPS.Tests.Yaml;

/// <summary>Every kind of broken spec: the exact line and column, and a message that says what to write.</summary>
public class GuestSpecErrorTests
{
    // ---- unknown keys ----

    [Fact]
    public void AnUnknownKeyIsReportedWithASuggestion()
    {
        Spec.Fails(Spec.Lines(
            "guests:",
            "  - name: web1",
            "    memroyBytes: 4GB"), 3, 5, "unknown key 'memroyBytes'", "did you mean 'memoryBytes'?");
    }

    [Theory]
    [InlineData("memory", "memoryBytes")]
    [InlineData("cpus", "processorCount")]
    [InlineData("vcpus", "processorCount")]
    [InlineData("memory_bytes", "memoryBytes")]
    [InlineData("disk-size-bytes", "diskSizeBytes")]
    [InlineData("waitForIP", "waitForIPAddress")]
    [InlineData("netwrok", "network")]
    [InlineData("os", "osVariant")]
    [InlineData("cloud-init", "cloudInit")]
    [InlineData("autoStart2", "autostart")]
    public void SuggestionsCoverTyposOtherSpellingsAndSynonyms(string typo, string meant)
    {
        Spec.Fails("name: a\n" + typo + ": 1\n", 2, 1, "unknown key '" + typo + "'", "did you mean '" + meant + "'?");
    }

    [Fact]
    public void AnUnknownKeyWithoutALikelyMeaningListsTheKeys()
    {
        Spec.Fails("name: a\nflavor: large\n", 2, 1, "unknown key 'flavor'", "expected one of: name, computerName, memoryBytes");
    }

    [Fact]
    public void ACloudInitSettingAtTheGuestLevelIsPointedUnderCloudInit()
    {
        Spec.Fails("name: a\nuser: admin\n", 2, 1, "unknown key 'user'", "belongs under cloudInit");
    }

    [Fact]
    public void AGuestSettingInsideCloudInitIsPointedOut()
    {
        Spec.Fails("name: a\ncloudInit:\n  user: x\n  memoryBytes: 1GB\n", 4, 3, "unknown cloudInit key 'memoryBytes'", "is a guest setting");
    }

    [Fact]
    public void ABadCloudInitKeyIsReportedWithASuggestion()
    {
        Spec.Fails(Spec.Lines(
            "- name: a",
            "  cloudInit:",
            "    user: admin",
            "    sshkeys: ssh-ed25519 AAAA me"), 4, 5, "unknown cloudInit key 'sshkeys'", "did you mean 'sshPublicKey'?");
        Spec.Fails("name: a\ncloudInit: {usr: a}\n", 2, 13, "unknown cloudInit key 'usr'", "did you mean 'user'?");
    }

    [Fact]
    public void AnUnknownTopLevelKeyIsReported()
    {
        Spec.Fails("guests:\n  - name: a\ndefault:\n  memoryBytes: 1GB\n", 3, 1, "unknown top-level key 'default'", "did you mean 'defaults'?");
        Spec.Fails("defaults: {}\nguests: [{name: a}]\nmemoryBytes: 1GB\n", 3, 1, "'memoryBytes' is a guest setting", "under 'defaults'");
    }

    [Fact]
    public void AGuestListKeyMisspelledInASingleGuestFileIsSuggested()
    {
        Spec.Fails("guest:\n  - name: a\n", 1, 1, "unknown key 'guest'", "did you mean 'guests'?");
    }

    [Fact]
    public void MergeKeysAreRefusedWithTheAlternative()
    {
        Spec.Fails(Spec.Lines(
            "base: &base",
            "  memoryBytes: 1GB",
            "guests: []"), 1, 1, "unknown top-level key 'base'");
        Spec.Fails(Spec.Lines(
            "- &base",
            "  name: a",
            "- <<: *base",
            "  name: b"), 3, 3, "merge keys ('<<') are not supported", "'defaults'");
    }

    // ---- wrong types ----

    [Theory]
    [InlineData("memoryBytes: [1GB]", 2, 14, "memoryBytes: expected a size", "got a list")]
    [InlineData("processorCount: {a: 1}", 2, 17, "processorCount: expected a whole number", "got a mapping")]
    [InlineData("baseImage: [a, b]", 2, 12, "baseImage: expected text, got a list")]
    [InlineData("network: {default: true}", 2, 10, "network: expected one value or a list, got a mapping")]
    [InlineData("network: [default, [lab]]", 2, 20, "network: expected a list of single values, got a list inside it")]
    [InlineData("cloudInit: yes", 2, 12, "cloudInit: expected a mapping of user, sshPublicKey", "got 'yes'")]
    [InlineData("cloudInit: {sshPublicKey: {a: b}}", 2, 27, "cloudInit.sshPublicKey: expected one value or a list, got a mapping")]
    [InlineData("network: [default, null]", 2, 20, "network: a list item is empty (null)")]
    [InlineData("osVariant: ''", 2, 12, "osVariant: must not be empty")]
    public void AValueOfTheWrongTypeIsReportedAtTheValue(string line, int row, int column, params string[] fragments)
    {
        Spec.Fails("name: a\n" + line + "\n", row, column, fragments);
    }

    [Fact]
    public void TheGuestsKeyMustHoldAList()
    {
        Spec.Fails("guests:\n  name: a\n", 2, 3, "guests: expected a list of guest mappings", "got a mapping");
        Spec.Fails("guests: web1\n", 1, 9, "guests: expected a list", "got 'web1'");
        Spec.Fails("defaults: [a]\nguests: [{name: a}]\n", 1, 11, "defaults: expected a mapping");
        Spec.Fails("defaults: {memoryBytes: 1GB}\n", 1, 1, "'defaults' is given but there is no 'guests' list");
    }

    [Fact]
    public void AGuestMustBeAMapping()
    {
        Spec.Fails("guests:\n  - web1\n  - name: b\n", 2, 5, "a guest must be a mapping", "got 'web1'");
    }

    [Fact]
    public void TheDocumentMustBeAMappingOrAList()
    {
        Spec.Fails("just text\n", 1, 1, "expected a mapping with a 'guests' list, a list of guests, or one guest mapping", "got 'just text'");
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("---\n...\n")]
    [InlineData("~\n")]
    public void AnEmptySpecIsAnError(string yaml)
    {
        Spec.Fails(yaml, 1, 1, "the spec is empty");
    }

    [Fact]
    public void AnEmptyGuestListIsAnError()
    {
        Spec.Fails("guests: []\n", 1, 9, "the list of guests is empty");
        Spec.Fails("[]\n", 1, 1, "the list of guests is empty");
    }

    [Fact]
    public void TagsAreRefused()
    {
        Spec.Fails("name: a\nmemoryBytes: !!int 1073741824\n", 2, 14, "YAML tags such as 'tag:yaml.org,2002:int' are not supported");
    }

    // ---- sizes, counts, booleans, choices ----

    [Theory]
    [InlineData("4 gigs", "'4 gigs' is not a size; expected a whole number of bytes, or a number with a unit KB, MB, GB or TB")]
    [InlineData("-1GB", "'-1GB' is negative")]
    [InlineData("0", "'0' is zero")]
    [InlineData("0GB", "'0GB' is zero")]
    [InlineData("1.1KB", "'1.1KB' is not a whole number of bytes")]
    [InlineData("8388608TB", "'8388608TB' is too large")]
    [InlineData("99999999999999999999999999999999", "is too large")]
    [InlineData("4096", "'4096' is only 4096 bytes, less than 1MB", "e.g. 4096MB or 4096GB")]
    [InlineData("0x1000", "is not a size")]
    [InlineData("4e9", "is not a size")]
    [InlineData("4PB", "is not a size")]
    public void ABadSizeIsReportedAtTheValue(string size, params string[] fragments)
    {
        var error = Spec.Fails("name: a\ndiskSizeBytes: " + size + "\n", 2, 16, fragments);
        Assert.StartsWith("diskSizeBytes: ", error.Problem);
    }

    [Fact]
    public void ABadSizeInAListIsReportedAtTheItem()
    {
        Spec.Fails("name: a\ndataDiskSizeBytes: [1GB, 2XB]\n", 2, 26, "dataDiskSizeBytes: '2XB' is not a size");
    }

    [Theory]
    [InlineData("0", "'0' is zero")]
    [InlineData("-2", "'-2' is negative")]
    [InlineData("two", "expected a whole number of at least 1, got 'two'")]
    [InlineData("2.5", "expected a whole number of at least 1, got '2.5'")]
    [InlineData("99999999999", "'99999999999' is too large")]
    public void ABadProcessorCountIsReported(string value, string fragment)
    {
        Spec.Fails("name: a\nprocessorCount: " + value + "\n", 2, 17, "processorCount: " + fragment);
    }

    [Theory]
    [InlineData("yes", "YAML 1.2 has no yes/no/on/off booleans")]
    [InlineData("No", "YAML 1.2 has no yes/no/on/off booleans")]
    [InlineData("on", "YAML 1.2 has no yes/no/on/off booleans")]
    [InlineData("'true'", "without quotes, got the quoted text 'true'")]
    [InlineData("maybe", "got 'maybe'")]
    [InlineData("1", "got '1'")]
    [InlineData("[true]", "got a list")]
    public void ABadBooleanIsReported(string value, string fragment)
    {
        Spec.Fails("name: a\nstart: " + value + "\n", 2, 8, "start: expected true or false", fragment);
    }

    [Theory]
    [InlineData("firmware: efi", 2, 11, "firmware: expected Bios or Uefi, got 'efi'; did you mean 'Uefi'?")]
    [InlineData("firmware: coreboot", 2, 11, "firmware: expected Bios or Uefi, got 'coreboot'")]
    [InlineData("graphics: vnv", 2, 11, "graphics: expected Vnc or Spice or None, got 'vnv'; did you mean 'Vnc'?")]
    [InlineData("graphics: [vnc]", 2, 11, "graphics: expected Vnc or Spice or None, got a list")]
    public void ABadChoiceIsReported(string line, int row, int column, string fragment)
    {
        Spec.Fails("name: a\n" + line + "\n", row, column, fragment);
    }

    [Theory]
    [InlineData("52:54:00:12:34", "is not a MAC address")]
    [InlineData("52-54-00-12-34-56", "is not a MAC address")]
    [InlineData("01:00:5e:00:00:01", "is a multicast address")]
    public void ABadMacAddressIsReported(string mac, string fragment)
    {
        Spec.Fails("name: a\nmacAddress: ['52:54:00:00:00:01', '" + mac + "']\n", 2, 35, "macAddress: '" + mac + "' " + fragment);
    }

    // ---- duplicates and names ----

    [Fact]
    public void ADuplicateKeyIsReportedAtTheSecondOne()
    {
        Spec.Fails(Spec.Lines(
            "guests:",
            "  - name: a",
            "    memoryBytes: 1GB",
            "    processorCount: 2",
            "    memoryBytes: 2GB"), 5, 5, "duplicate key 'memoryBytes'; it is already given at line 3, column 5");
    }

    [Fact]
    public void KeysDifferingOnlyInCaseAreDuplicates()
    {
        Spec.Fails("name: a\nmemoryBytes: 1GB\nMemoryBytes: 2GB\n", 3, 1,
            "duplicate key 'MemoryBytes'; it is already given at line 2, column 1 as 'memoryBytes' (keys ignore case)");
        Spec.Fails("name: a\ncloudInit:\n  user: a\n  User: b\n", 4, 3, "duplicate key 'User'");
        Spec.Fails("guests: []\nguests: []\n", 2, 1, "duplicate key 'guests'");
    }

    [Fact]
    public void ADuplicateGuestNameIsReportedAtTheSecondOne()
    {
        Spec.Fails(Spec.Lines(
            "guests:",
            "  - name: web1",
            "  - name: web2",
            "  - memoryBytes: 1GB",
            "    name: WEB1"), 5, 11, "guest name 'WEB1' is used twice in this file", "the first is at line 2, column 11");
    }

    [Fact]
    public void AMissingNameIsReportedAtTheGuest()
    {
        Spec.Fails(Spec.Lines(
            "guests:",
            "  - name: a",
            "  - memoryBytes: 1GB",
            "    start: true"), 3, 5, "this guest has no 'name'");
        Spec.Fails("memoryBytes: 1GB\n", 1, 1, "this guest has no 'name'");
        Spec.Fails("- {memoryBytes: 1GB}\n", 1, 3, "this guest has no 'name'");
    }

    [Theory]
    [InlineData("name:", 1, 6, "name: expected the guest's name, got nothing")]
    [InlineData("name: ~", 1, 7, "name: expected the guest's name, got nothing")]
    [InlineData("name: '  '", 1, 7, "name: must not be empty")]
    [InlineData("name: ' web'", 1, 7, "starts or ends with white space")]
    [InlineData("name: a/b", 1, 7, "contains '/'")]
    [InlineData("name: \"a\\tb\"", 1, 7, "'a\\u0009b' contains a control character")]
    [InlineData("name: [a]", 1, 7, "name: expected text, got a list")]
    public void ABadNameIsReported(string line, int row, int column, string fragment)
    {
        Spec.Fails(line + "\n", row, column, fragment);
    }

    [Fact]
    public void DefaultsCannotNameGuests()
    {
        Spec.Fails("defaults:\n  name: x\nguests: [{name: a}]\n", 2, 3, "'name' cannot be in defaults");
    }

    [Fact]
    public void AProblemInDefaultsIsReportedInDefaults()
    {
        Spec.Fails("defaults:\n  memoryBytes: lots\nguests: [{name: a}]\n", 2, 16, "memoryBytes: 'lots' is not a size");
    }

    // ---- cloudInit ----

    [Fact]
    public void AMissingUserDataFileIsReportedWithTheResolvedPath()
    {
        using var dir = new SpecDirectory();
        var error = Spec.FailsIn(Spec.Lines(
            "name: a",
            "cloudInit:",
            "  userData: seed/missing.yaml"), dir.Path, 3, 13, "cloudInit.userData: file 'seed/missing.yaml' not found");
        Assert.Contains(Path.Combine(dir.Path, "seed", "missing.yaml"), error.Problem);

        Directory.CreateDirectory(Path.Combine(dir.Path, "adir"));
        Spec.FailsIn("name: a\ncloudInit: {networkConfig: adir}\n", dir.Path, 2, 28, "cloudInit.networkConfig: file 'adir' not found (it is a directory)");
    }

    [Fact]
    public void UserDataCannotBeCombinedWithGeneratedSettingsInOneMapping()
    {
        using var dir = new SpecDirectory();
        dir.Write("u.yaml", "#cloud-config\n");
        Spec.FailsIn(Spec.Lines(
            "name: a",
            "cloudInit:",
            "  userData: u.yaml",
            "  user: admin"), dir.Path, 4, 3, "userData is a complete user-data file", "cannot be combined with user");
        Spec.FailsIn(Spec.Lines(
            "name: a",
            "cloudInit:",
            "  sshPublicKey: ssh-ed25519 AAAA me",
            "  userData: u.yaml"), dir.Path, 4, 3, "cannot be combined with sshPublicKey");
    }

    [Fact]
    public void PasswordAndPasswordHashExcludeEachOther()
    {
        Spec.Fails(Spec.Lines(
            "name: a",
            "cloudInit:",
            "  password: x",
            "  passwordHash: '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1'"),
            4, 3, "give either password or passwordHash, not both");
    }

    [Theory]
    [InlineData("password: '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1'", 3, 13,
        "cloudInit.password: this looks like a password hash, not a password; give hashes as passwordHash")]
    [InlineData("password: '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW'", 3, 13, "this looks like a password hash")]
    [InlineData("passwordHash: plain", 3, 17, "cloudInit.passwordHash: expected a SHA-512 crypt hash")]
    [InlineData("passwordHash: '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5'", 3, 17, "expected a SHA-512 crypt hash")]
    [InlineData("user: John Doe", 3, 9, "cloudInit.user: 'John Doe' is not a usable Linux user name")]
    [InlineData("user: '-x'", 3, 9, "is not a usable Linux user name")]
    [InlineData("user: 1000", 3, 9, "is not a usable Linux user name")]
    [InlineData("sshPublicKey: ~/.ssh/id_ed25519.pub", 3, 17, "is not an OpenSSH public key", "(the contents of the .pub file, not its name)")]
    [InlineData("sshPublicKey: [ssh-ed25519 AAAA me, AAAAC3NzaC1]", 3, 39, "'AAAAC3NzaC1' is not an OpenSSH public key")]
    [InlineData("sshPublicKey: \"ssh-ed25519 AAAA a\\nssh-rsa BBBB b\"", 3, 17, "one key per line")]
    public void BadCloudInitValuesAreReported(string line, int row, int column, params string[] fragments)
    {
        Spec.Fails("name: a\ncloudInit:\n  " + line + "\n", row, column, fragments);
    }

    [Fact]
    public void APasswordThatMerelyStartsLikeAHashIsAPassword()
    {
        var guest = Spec.One("name: a\ncloudInit:\n  password: '$6$abc$def'\n");
        Assert.StartsWith("$6$", guest.CloudInit!.PasswordHash);
        Assert.NotEqual("$6$abc$def", guest.CloudInit.PasswordHash);
    }

    // ---- order ----

    [Fact]
    public void TheFirstProblemInTheFileIsTheOneReported()
    {
        Spec.Fails("name: a\nmemoryBytes: lots\nflavr: x\n", 2, 14, "memoryBytes: 'lots' is not a size");
        Spec.Fails("name: a\nflavr: x\nmemoryBytes: lots\n", 2, 1, "unknown key 'flavr'");
        Spec.Fails("name: a\ncloudInit:\n  user: 'bad user'\n  sshkey: x\n", 3, 9, "cloudInit.user: 'bad user'");
        Spec.Fails("name: a\ncloudInit:\n  sshkey: x\n  user: 'bad user'\n", 3, 3, "unknown cloudInit key 'sshkey'");
    }

    // ---- YAML syntax ----

    [Fact]
    public void AMappingValueWhereNoneCanBeIsASyntaxError()
    {
        Spec.Fails("name: a\nmemoryBytes: 1GB: 2GB\n", 2, 17, "YAML syntax error");
    }

    [Fact]
    public void AnUnterminatedQuoteIsASyntaxError()
    {
        Spec.Fails("name: a\nosVariant: 'debian12\nstart: true\n", 2, 12, "YAML syntax error", "quoted scalar");
    }

    [Fact]
    public void ATabInTheIndentationIsASyntaxErrorAtTheTab()
    {
        Spec.Fails("guests:\n  - name: a\n\t- name: b\n", 3, 1, "YAML syntax error: a tab in the indentation");
    }

    [Fact]
    public void AnUnclosedFlowListIsASyntaxErrorAtItsBracket()
    {
        Spec.Fails("name: a\nnetwork: [default, lab\nstart: true\n", 2, 10, "YAML syntax error");
    }

    [Fact]
    public void BadIndentationIsASyntaxError()
    {
        Spec.Fails("guests:\n  - name: a\n    memoryBytes: 1GB\n   start: true\n", 4, 4, "YAML syntax error");
    }

    [Fact]
    public void ASecondDocumentIsAnError()
    {
        Spec.Fails("name: a\n---\nname: b\n", 2, 1, "a spec file holds one YAML document");
    }

    [Fact]
    public void DeepNestingIsRefusedRatherThanOverflowingTheStack()
    {
        Spec.Fails("name: a\nnetwork: " + new string('[', 100000) + "\n", 2, 73, "nested more than 64 levels deep");
    }

    [Fact]
    public void AnUnknownAliasIsAnError()
    {
        Spec.Fails("name: a\nnetwork: *nets\n", 2, 10, "unknown alias '*nets'");
    }

    [Fact]
    public void MessagesStartWithTheSourcePosition()
    {
        var error = Assert.Throws<KvmPS.Guests.GuestSpecException>(() => Spec.Engine.ReadGuestSpecs("name: a\nstart: yes\n", "/srv/specs/lab.yaml", "/srv/specs"));
        Assert.Equal("/srv/specs/lab.yaml:2:8: start: expected true or false, got 'yes' (YAML 1.2 has no yes/no/on/off booleans; write true or false)", error.Message);
        Assert.Equal("/srv/specs/lab.yaml", error.Source);
        Assert.Equal(2, error.Line);
        Assert.Equal(8, error.Column);
    }
}
