using System.Text;
using System.Text.RegularExpressions;

namespace Backfill.Cli.Tests;

/// <summary>
/// Every <c>backfill ...</c> command line shown in a shell block of the README and of <c>docs/</c> parses with the real
/// command tree: no unknown command, option or value a parser can check. A renamed option or a removed command fails
/// here before a reader copies it. (What the commands do is proven by the tests of each command.)
/// </summary>
public sealed partial class DocsCommandsTests
{
    public static TheoryData<string, int, string> Commands()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var (file, line, command) in DocCommands.All())
        {
            data.Add(file, line, command);
        }

        return data;
    }

    [Fact]
    public void The_docs_show_commands_to_check()
    {
        var all = DocCommands.All().ToList();
        Assert.True(all.Count >= 60, $"only {all.Count} commands found in the docs: is the extraction broken?");
        Assert.Contains(all, c => c.File == "README.md");
        Assert.Contains(all, c => c.File.StartsWith("docs/datasets/", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void A_command_in_the_docs_parses(string file, int line, string command)
    {
        var args = DocCommands.Split(command);
        var environment = new CliEnvironment(TextWriter.Null, TextWriter.Null, TextReader.Null, new Dictionary<string, string>(), TimeProvider.System, IsTerminal: false, InputIsInteractive: false);
        var parse = CliApp.Build(environment).Parse(args);
        Assert.True(parse.Errors.Count == 0, $"{file}:{line}: `{command}`: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
    }

    /// <summary>Finds the command lines of the docs' shell blocks and splits them as a shell would (quotes, comments, variables).</summary>
    internal static partial class DocCommands
    {
        public static IEnumerable<(string File, int Line, string Command)> All()
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Backfill.slnx")))
            {
                root = root.Parent;
            }

            Assert.NotNull(root);
            var files = new List<string> { Path.Combine(root.FullName, "README.md") };
            var docs = Path.Combine(root.FullName, "docs");
            if (Directory.Exists(docs))
            {
                files.AddRange(Directory.GetFiles(docs, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            }

            foreach (var path in files)
            {
                var relative = Path.GetRelativePath(root.FullName, path).Replace('\\', '/');
                var inShell = false;
                var lines = File.ReadAllLines(path);
                for (var i = 0; i < lines.Length; i++)
                {
                    var text = lines[i].Trim();
                    if (text.StartsWith("```", StringComparison.Ordinal))
                    {
                        inShell = !inShell && text is "```sh" or "```bash" or "```shell" or "```console";
                        continue;
                    }

                    if (!inShell)
                    {
                        continue;
                    }

                    var number = i + 1;
                    while (text.EndsWith('\\') && i + 1 < lines.Length)
                    {
                        text = text[..^1] + " " + lines[++i].Trim();
                    }

                    if (Command(text) is { } command)
                    {
                        yield return (relative, number, command);
                    }
                }
            }
        }

        /// <summary>The backfill arguments of a shell line, or null when the line runs something else.</summary>
        private static string? Command(string line)
        {
            var text = line.StartsWith("$ ", StringComparison.Ordinal) ? line[2..] : line;
            text = EnvPrefix().Replace(text, string.Empty);
            var viaRun = text.IndexOf("src/Backfill.Cli -- ", StringComparison.Ordinal);
            if (viaRun >= 0 && text.StartsWith("dotnet run", StringComparison.Ordinal))
            {
                return text[(viaRun + "src/Backfill.Cli -- ".Length)..];
            }

            var first = text.Split(' ', 2)[0];
            return first == "backfill" || first.EndsWith("/backfill", StringComparison.Ordinal)
                ? (text.Contains(' ', StringComparison.Ordinal) ? text.Split(' ', 2)[1] : string.Empty)
                : null;
        }

        /// <summary>Shell words up to a comment, pipe, redirection or list operator; variables become a placeholder.</summary>
        public static string[] Split(string command)
        {
            var words = new List<string>();
            var word = new StringBuilder();
            var inWord = false;
            char? quote = null;
            for (var i = 0; i < command.Length; i++)
            {
                var c = command[i];
                if (quote is { } q)
                {
                    if (c == q)
                    {
                        quote = null;
                    }
                    else
                    {
                        word.Append(c);
                    }

                    continue;
                }

                if (c is '\'' or '"')
                {
                    quote = c;
                    inWord = true;
                    continue;
                }

                if (char.IsWhiteSpace(c))
                {
                    Flush();
                    continue;
                }

                if (!inWord && c == '#')
                {
                    break;
                }

                if (c is '|' or '>' or '<' or ';' or '&')
                {
                    break;
                }

                if (c == '$')
                {
                    // $VAR, ${VAR} or $(...): a value the reader fills in.
                    var end = command[i..] switch
                    {
                        var s when s.StartsWith("$(", StringComparison.Ordinal) => command.IndexOf(')', i),
                        var s when s.StartsWith("${", StringComparison.Ordinal) => command.IndexOf('}', i),
                        _ => i + Math.Max(1, command[(i + 1)..].TakeWhile(ch => char.IsLetterOrDigit(ch) || ch == '_').Count()),
                    };
                    word.Append('X');
                    inWord = true;
                    i = end < 0 ? command.Length : end;
                    continue;
                }

                word.Append(c);
                inWord = true;
            }

            Flush();
            return [.. words];

            void Flush()
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                }

                word.Clear();
                inWord = false;
            }
        }

        [GeneratedRegex(@"^([A-Z_][A-Z0-9_]*=\S*\s+)+")]
        private static partial Regex EnvPrefix();
    }
}
