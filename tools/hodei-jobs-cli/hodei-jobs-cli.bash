# bash completion for hodei-jobs-cli                       -*- shell-script -*-
# Installed as share/bash-completion/completions/hodei-jobs-cli.

_hodei_jobs_cli()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi

    local global="--server --output --connect-timeout --help --version"
    case $prev in
        --output|-o) COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;;
        --priority) COMPREPLY=($(compgen -W "low normal high critical" -- "$cur")); return ;;
        --level) COMPREPLY=($(compgen -W "debug info warn error" -- "$cur")); return ;;
        --status)
            COMPREPLY=($(compgen -W "queued assigned running succeeded completed failed cancelled timed_out active finished all" -- "$cur"))
            return ;;
        --workdir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --role) COMPREPLY=($(compgen -W "read submit admin" -- "$cur")); return ;;
        --server|--connect-timeout|--name|--command|--args|--arg|--env|--secret|--secret-file|--timeout|--label|--cpu|--memory|--id|--retries|--provider|--search|--limit|--grep|--reconnect)
            return ;;
    esac

    # The command words typed so far (skipping options and their values).
    local i cmd="" sub=""
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --server|--output|-o|--connect-timeout) ((i++)) ;;
            -*) ;;
            *) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub ]]; then sub=${words[i]}; fi ;;
        esac
    done

    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "health jobs logs workers queue providers tokens $global" -- "$cur"))
        return
    fi
    local opts=""
    case $cmd in
        jobs)
            if [[ -z $sub ]]; then
                COMPREPLY=($(compgen -W "list get queue cancel retry" -- "$cur")); return
            fi
            case $sub in
                list) opts="--status --search --limit --oldest" ;;
                queue) opts="--name --command --args --arg --env --secret --secret-file --timeout --priority --label --cpu --memory --id --retries --workdir --shell --provider --wait --follow" ;;
            esac ;;
        logs) opts="--follow --level --grep --reconnect --raw" ;;
        workers) [[ -z $sub ]] && { COMPREPLY=($(compgen -W "list" -- "$cur")); return; } ;;
        queue) [[ -z $sub ]] && { COMPREPLY=($(compgen -W "status" -- "$cur")); return; } ;;
        providers) [[ -z $sub ]] && { COMPREPLY=($(compgen -W "list get" -- "$cur")); return; } ;;
        tokens)
            if [[ -z $sub ]]; then
                COMPREPLY=($(compgen -W "create list revoke" -- "$cur")); return
            fi
            [[ $sub == create ]] && opts="--role" ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts $global" -- "$cur"))
    fi
} &&
    complete -F _hodei_jobs_cli hodei-jobs-cli
