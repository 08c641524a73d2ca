# bash completion for hodei-jobs-cli                       -*- shell-script -*-
# Installed as share/bash-completion/completions/hodei-jobs-cli, or:
#   source <(hodei-jobs-cli completion bash)
# The candidates come from the CLI itself: hodei-jobs-cli __complete WORDS...

_hodei_jobs_cli()
{
    local cur words cword
    if declare -F _get_comp_words_by_ref >/dev/null; then
        _get_comp_words_by_ref -n =: cur words cword
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local IFS=$'\n'
    COMPREPLY=($("${words[0]}" __complete "${words[@]:1:cword}" 2>/dev/null))
    if [[ ${COMPREPLY[0]} == :dir ]]; then
        COMPREPLY=($(compgen -d -- "$cur"))
    elif [[ ${COMPREPLY[0]} == :file ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
} &&
    complete -F _hodei_jobs_cli hodei-jobs-cli
