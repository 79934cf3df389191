# orders listens on 8080
OWNERS = ["{{ o }}", "{{ o }}"]
