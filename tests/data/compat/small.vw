-1 |w dull dull awful fine dull |n len:5
1 |w fine bad dull great fine bad |n len:6
1 |w good nice dull fine good bad |n len:6
-1 |w good awful |n len:2
-1 |w good dull poor |n len:3
-1 |w awful awful great dull good |n len:5
1 |w dull great |n len:2
-1 |w bad great poor awful great |n len:5
-1 |w bad bad |n len:2
1 |w bad great nice bad good |n len:5
-1 |w awful awful |n len:2
1 |w dull nice |n len:2
-1 |w nice bad awful great poor |n len:5
1 |w great poor |n len:2
-1 |w nice bad |n len:2
-1 |w awful bad good |n len:3
-1 |w dull dull |n len:2
-1 |w awful dull awful |n len:3
1 |w nice nice bad |n len:3
1 |w nice awful good great great |n len:5
-1 |w awful fine |n len:2
-1 |w bad good fine awful dull |n len:5
1 |w good poor great nice |n len:4
-1 |w bad bad |n len:2
-1 |w awful good poor |n len:3
-1 |w dull fine dull fine |n len:4
-1 |w fine fine great awful awful |n len:5
-1 |w fine awful nice |n len:3
-1 |w bad nice good bad bad |n len:5
-1 |w great awful |n len:2
1 |w great nice dull great fine |n len:5
-1 |w fine awful |n len:2
-1 |w bad great awful awful good |n len:5
1 |w great nice |n len:2
1 |w awful good good fine great |n len:5
-1 |w fine bad poor fine |n len:4
1 |w poor fine good good dull |n len:5
1 |w great good good bad |n len:4
-1 |w bad great poor fine bad |n len:5
-1 |w dull poor |n len:2
-1 |w fine poor |n len:2
-1 |w bad dull bad nice |n len:4
1 |w dull good |n len:2
-1 |w nice nice good bad bad bad |n len:6
1 |w great nice |n len:2
-1 |w nice dull dull dull |n len:4
1 |w bad good great bad dull good |n len:6
-1 |w bad dull dull |n len:3
1 |w good poor great fine |n len:4
-1 |w awful fine poor dull dull awful |n len:6
1 |w nice great awful nice |n len:4
-1 |w awful nice awful |n len:3
-1 |w poor awful fine fine dull poor |n len:6
1 |w bad great |n len:2
-1 |w bad dull dull |n len:3
-1 |w awful nice nice dull |n len:4
-1 |w dull poor bad good |n len:4
1 |w good great poor great |n len:4
1 |w good fine nice dull awful good |n len:6
-1 |w awful fine good bad |n len:4
-1 |w bad poor bad awful awful |n len:5
1 |w great fine good dull good |n len:5
-1 |w awful great poor |n len:3
1 |w fine nice awful bad nice nice |n len:6
-1 |w dull dull awful |n len:3
-1 |w nice poor |n len:2
-1 |w poor awful bad bad awful |n len:5
1 |w nice bad great |n len:3
1 |w poor great good poor bad good |n len:6
1 |w poor nice great dull good |n len:5
1 |w bad nice good |n len:3
-1 |w poor fine dull |n len:3
-1 |w dull dull bad |n len:3
1 |w dull great fine |n len:3
1 |w great great nice awful great fine |n len:6
1 |w great dull awful nice bad good |n len:6
1 |w nice good good nice bad dull |n len:6
-1 |w fine bad |n len:2
1 |w dull nice nice great awful dull |n len:6
-1 |w fine poor nice dull poor |n len:5
-1 |w awful nice |n len:2
1 |w good great fine good good awful |n len:6
1 |w awful good great |n len:3
-1 |w poor awful dull bad |n len:4
1 |w bad great awful nice good |n len:5
-1 |w nice fine awful awful awful |n len:5
-1 |w fine awful poor fine poor poor |n len:6
-1 |w awful awful bad |n len:3
-1 |w awful fine bad |n len:3
1 |w nice bad nice nice |n len:4
-1 |w fine awful nice good bad awful |n len:6
-1 |w poor poor bad poor awful bad |n len:6
1 |w bad good good dull fine |n len:5
-1 |w fine bad awful |n len:3
1 |w fine great bad |n len:3
-1 |w good fine dull bad bad poor |n len:6
-1 |w dull nice poor nice awful |n len:5
1 |w poor good good awful fine nice |n len:6
-1 |w poor poor nice awful fine |n len:5
-1 |w good poor |n len:2
-1 |w nice awful |n len:2
1 |w poor great great bad fine nice |n len:6
-1 |w poor poor nice |n len:3
-1 |w nice awful fine |n len:3
1 |w poor great |n len:2
-1 |w bad good poor good awful |n len:5
-1 |w great poor awful nice |n len:4
-1 |w fine bad nice dull awful bad |n len:6
-1 |w good bad bad awful great |n len:5
1 |w nice good awful nice good |n len:5
1 |w great great |n len:2
-1 |w poor nice bad dull |n len:4
1 |w good nice |n len:2
1 |w nice dull fine |n len:3
1 |w good nice dull nice great |n len:5
1 |w nice great poor great dull great |n len:6
1 |w great great good good awful good |n len:6
1 |w nice nice good |n len:3
-1 |w nice good poor bad |n len:4
1 |w nice dull great |n len:3
-1 |w good bad dull |n len:3
-1 |w awful bad good |n len:3
-1 |w nice dull bad awful good poor |n len:6
-1 |w fine bad poor dull fine nice |n len:6
1 |w great nice poor fine great |n len:5
-1 |w awful dull bad |n len:3
1 |w great poor great great awful great |n len:6
-1 |w awful awful awful |n len:3
1 |w good good |n len:2
1 |w great nice good good |n len:4
-1 |w awful great |n len:2
-1 |w bad fine |n len:2
-1 |w awful poor dull dull poor awful |n len:6
-1 |w poor dull fine bad |n len:4
-1 |w dull awful |n len:2
1 |w nice great nice fine poor |n len:5
1 |w poor great fine |n len:3
-1 |w poor bad dull poor bad |n len:5
1 |w bad nice dull dull great good |n len:6
-1 |w great awful |n len:2
1 |w bad great dull poor great fine |n len:6
-1 |w poor poor poor |n len:3
-1 |w poor dull |n len:2
-1 |w great dull great dull poor awful |n len:6
-1 |w awful bad poor poor good |n len:5
-1 |w nice nice awful poor |n len:4
-1 |w fine fine fine bad dull |n len:5
1 |w good awful good fine |n len:4
1 |w great good nice bad great bad |n len:6
-1 |w bad great bad poor |n len:4
