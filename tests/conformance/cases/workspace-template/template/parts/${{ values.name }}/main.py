# ${{ values.name }} listens on ${{ values.port }}
OWNERS = [{% for o in values.owners %}"{{ o }}"{% if not loop.last %}, {% endif %}{% endfor %}]
