# bash completion for smv(1): the commands, each command's options, and file, directory and interface
# names where an option takes one. Installed as share/bash-completion/completions/smv; the options
# are those of `smv COMMAND --help` (tests/tree/completion.sh checks that they are all here).

_smv_options() {
  case "$1" in
    follow | report)
      echo "--interface --carrier --dns --cacert --capath --return-url --max-redirects --max-time" \
        "--connect-timeout --response-timeout --max-header-bytes --max-body-bytes --no-http" \
        "--allow-vpn-bypass --no-resume --json -v --verbose --show-secrets --har --help" \
        "--state --tls-min --tls-max -4 --ipv4 -6 --ipv6"
      [ "$1" = report ] && echo "-d --data -X --request --content-type"
      ;;
    paths) echo "--json --interface --carrier --allow-vpn-bypass --dns --snapshot --help" ;;
    sandbox) echo "--config --port --api-port --operator-port --listen --state-dir -v --help" \
      "keygen assertion --rsa --key --client-id --audience --lifetime" ;;
    demo) echo "-v --netns --help" ;;
    testserver) echo "--script --scenario --log --dir --cert --bind --https-port --http-port --help" ;;
  esac
}

_smv() {
  local cur prev cmd i
  COMPREPLY=()
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      -*) ;;
      *) cmd=${COMP_WORDS[i]}; break ;;
    esac
  done
  if [ -z "$cmd" ]; then
    mapfile -t COMPREPLY < <(compgen -W "follow report paths sandbox demo testserver --version --help" -- "$cur")
    return 0
  fi
  case "$prev" in
    --interface | --carrier)
      mapfile -t COMPREPLY < <(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")
      return 0 ;;
    --cacert | --har | --config | --snapshot | --script | --log | --key)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0 ;;
    --capath | --state-dir | --dir)
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      return 0 ;;
    -X | --request)
      mapfile -t COMPREPLY < <(compgen -W "GET POST" -- "$cur")
      return 0 ;;
    --tls-min | --tls-max)
      mapfile -t COMPREPLY < <(compgen -W "1.2 1.3" -- "$cur")
      return 0 ;;
    --cert)
      mapfile -t COMPREPLY < <(compgen -W "good expired wrong-host" -- "$cur")
      return 0 ;;
    --dns | --return-url | --state | --max-redirects | --max-time | --connect-timeout | --response-timeout | \
      --max-header-bytes | --max-body-bytes | -d | --data | --content-type | --port | --api-port | \
      --operator-port | --listen | --bind | --https-port | --http-port | --scenario | \
      --client-id | --audience | --lifetime)
      return 0 ;;  # a value of the user's own
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_smv_options "$cmd")" -- "$cur")
  fi
  return 0
}
complete -F _smv smv
