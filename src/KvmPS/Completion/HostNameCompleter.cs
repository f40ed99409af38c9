using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using KvmPS.Security;
using KvmPS.Sessions;

namespace KvmPS.Completion;

/// <summary>
/// Tab completion for host names: the names of open sessions (and their -Name), then the hosts in
/// ~/.ssh/known_hosts that are written in clear (hashed names cannot be listed, as with ssh).
/// </summary>
public sealed class HostNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IEnumerable<string> sessions = SessionPool.All
            .Where(s => s.State != KvmSessionState.Closed)
            .SelectMany(s => new[] { s.Name, s.ComputerName });
        IEnumerable<string> known = ConnectRequest.DefaultKnownHostsFiles()
            .SelectMany(file => KnownHostsFile.Load(file).ClearHostNames());
        return CompletionNames.Results(sessions.Concat(known), wordToComplete);
    }
}
